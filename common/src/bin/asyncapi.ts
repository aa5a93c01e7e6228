/**
 * Prints the events' AsyncAPI document (`asyncApiDocument`) with the package's version: `npm run asyncapi`
 * writes it to common/asyncapi.json, the file published with the package.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { asyncApiDocument } from '../ticketing/asyncapi';

const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
process.stdout.write(`${JSON.stringify(asyncApiDocument(version), null, 2)}\n`);
