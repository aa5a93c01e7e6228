// The API's browsable page: Swagger UI (swagger-ui-dist, served from our origin) on the OpenAPI document.
// validatorUrl null: no badge fetched from validator.swagger.io (nothing but our origin).
window.ui = SwaggerUIBundle({ url: '/api/docs/openapi.json', dom_id: '#swagger-ui', validatorUrl: null });
