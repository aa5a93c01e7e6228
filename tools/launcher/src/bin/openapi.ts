/** Prints the OpenAPI document (`npm run openapi` turns it into the web client's types). */
import { openApiDocument } from '../openapi';

process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
