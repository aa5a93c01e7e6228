// The API's browsable page: Swagger UI (swagger-ui-dist, served from our origin) on the OpenAPI document.
window.ui = SwaggerUIBundle({ url: '/api/docs/openapi.json', dom_id: '#swagger-ui' });
