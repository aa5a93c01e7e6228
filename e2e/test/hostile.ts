/** Tools for the hostile-input corpus: raw requests, forged session tokens and exact database snapshots. */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import http from 'node:http';
import { sessionKeyId } from '@ticketing/common/http';
import { newSessionKeys, type SessionKeys, sessionToken } from '@ticketing/testkit/session';
import jwt from 'jsonwebtoken';
import mongoose, { type Connection } from 'mongoose';

export interface RawRequest {
  method: string;
  /** Path and query, sent as written (fetch may still percent-encode; see `isRawPath`). */
  path: string;
  headers?: Record<string, string>;
  /** A string is sent as `application/json` unless `headers` names another content type. */
  body?: string | FormData | URLSearchParams;
  /** Send the path byte for byte (`/api/x/../y`), which fetch would normalise. */
  isRawPath?: boolean;
}

export interface RawReply {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one request to `baseUrl` exactly as described: no cookie jar, no JSON encoding, no redirects. */
export async function send(baseUrl: string, request: RawRequest): Promise<RawReply> {
  const headers = { ...(typeof request.body === 'string' ? { 'content-type': 'application/json' } : {}), ...request.headers };
  if (request.isRawPath) return sendRaw(baseUrl, request, headers);
  const res = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers, body: request.body, redirect: 'manual' });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

function sendRaw(baseUrl: string, request: RawRequest, headers: Record<string, string>): Promise<RawReply> {
  if (request.body !== undefined && typeof request.body !== 'string') throw new Error('raw-path requests take a string body');
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** The one error body every service answers with: `{ errors: [{ message, field? }] }` and nothing else. */
export function isErrorShape(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'errors') return false;
  const { errors } = body as { errors: unknown };
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (item: unknown) =>
        typeof item === 'object' &&
        item !== null &&
        Object.keys(item).every((key) => key === 'message' || key === 'field') &&
        typeof (item as { message: unknown }).message === 'string' &&
        ['undefined', 'string'].includes(typeof (item as { field?: unknown }).field),
    )
  );
}

export interface Identity {
  id: string;
  email: string;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const FORGED_TOKEN_KINDS = [
  'signed with another key',
  'expired',
  'a tampered payload',
  'alg none',
  'HS256 with the public key as its secret',
  'an operator as id, signed with the real key',
  'no expiry, signed with the real key',
  'garbage',
] as const;
export type ForgedTokenKind = (typeof FORGED_TOKEN_KINDS)[number];

/**
 * Session tokens an attacker could present claiming `victim`'s identity (the tampered one is built from
 * the attacker's own genuine token): each must count as no session at all.
 */
export function forgedTokens(keys: SessionKeys, victim: Identity, attackerToken: string): Record<ForgedTokenKind, string> {
  const [header, , signature] = attackerToken.split('.');
  const now = Math.floor(Date.now() / 1000);
  const realKey = createPrivateKey(keys.privateKey);
  const keyid = sessionKeyId(createPublicKey(realKey));
  const real = { algorithm: 'ES256' as const, keyid };
  return {
    'signed with another key': sessionToken(victim, newSessionKeys()),
    expired: jwt.sign({ ...victim, exp: now - 60 }, realKey, real),
    'a tampered payload': `${header}.${base64url({ ...victim, iat: now, exp: now + 3600 })}.${signature}`,
    'alg none': `${base64url({ alg: 'none', typ: 'JWT', kid: keyid })}.${base64url({ ...victim, iat: now, exp: now + 3600 })}.`,
    'HS256 with the public key as its secret': jwt.sign(victim, keys.publicKeys, { algorithm: 'HS256', keyid, expiresIn: 3600 }),
    'an operator as id, signed with the real key': jwt.sign({ id: { $ne: null }, email: victim.email }, realKey, {
      ...real,
      expiresIn: 3600,
    }),
    'no expiry, signed with the real key': jwt.sign(victim, realKey, real),
    garbage: 'not.a.jwt',
  };
}

/**
 * Every collection (documents in `_id` order and indexes) of every database, as canonical extended JSON:
 * lossless, so equal snapshots mean the same values of the same BSON types in the same field order.
 */
export async function snapshotDatabases(connections: Record<string, Connection>): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  for (const [name, connection] of Object.entries(connections)) {
    const db = connection.db;
    if (!db) throw new Error(`database ${name} is not connected`);
    const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    for (const collection of collections) {
      const docs = await db.collection(collection).find({}).sort({ _id: 1 }).toArray();
      const indexes = await db.collection(collection).indexes();
      snapshot[`${name}.${collection}`] = mongoose.mongo.BSON.EJSON.stringify({ docs, indexes }, { relaxed: false });
    }
  }
  return snapshot;
}
