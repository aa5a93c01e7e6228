import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@ticketing/launcher/system';
import { waitFor } from '@ticketing/stack/wait-for';
import { CLIENT_ESCAPES, LEAKED, pathEscapes } from '@ticketing/testkit/path-escapes';
import mongoose, { type Connection } from 'mongoose';
import {
  FORGED_TOKEN_KINDS,
  type ForgedTokenKind,
  forgedTokens,
  type Identity,
  isErrorShape,
  type RawRequest,
  send,
  snapshotDatabases,
} from './hostile';
import { startTestSystem, type TestSystem } from './system';

/**
 * The whole system as real processes behind the gateway, fed a corpus of hostile requests: malformed and
 * oversized bodies, wrong content types, operator-shaped ids and fields, prototype-pollution keys, absurd
 * prices, over-long and control-character strings, forged sessions, other people's resources, and paths
 * that leave a service's tree or the client's files. Every one must get its 4xx in the error shape, none a
 * 5xx, and none leak metrics or files; afterwards no database holds a changed byte, nothing is polluted and
 * every service is still up.
 */

interface User extends Identity {
  token: string;
}

interface Fixtures {
  seller: User;
  buyer: User;
  /** The seller's ticket, reserved by the buyer's order. */
  ticketId: string;
  /** Another ticket of the seller's, free. */
  spareTicketId: string;
  /** The buyer's order. */
  orderId: string;
  /** Tokens claiming to be the buyer. */
  forged: Record<ForgedTokenKind, string>;
}

type Case = [description: string, status: number, request: (f: Fixtures) => RawRequest];

const cookie = (token: string) => ({ cookie: `session=${token}` });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (value: unknown) => JSON.stringify(value);
const operatorId = encodeURIComponent('{"$ne":null}');
const unknownId = '0123456789abcdef01234567';
const longText = (length: number) => 'x'.repeat(length);
/** Over express.json's 100 kB limit. */
const oversized = (field: string) => json({ [field]: longText(150_000) });
const credentials = { email: 'mallory@example.com', password: 'correct horse battery' };
const ticket = { title: 'Hostile', price: 10 };

const post = (path: string, body: RawRequest['body'], headers: Record<string, string> = {}): RawRequest => ({
  method: 'POST',
  path,
  body,
  headers,
});

const authCases: Case[] = [
  ['signup gets malformed JSON', 400, () => post('/api/users/signup', '{"email":"mallory@example.com",')],
  ['signin gets single-quoted pseudo-JSON', 400, () => post('/api/users/signin', "{'email': 'mallory@example.com'}")],
  ['signup gets text/plain', 400, () => post('/api/users/signup', 'email=a@b.co&password=12345678', { 'content-type': 'text/plain' })],
  ['signup gets a form-urlencoded body', 400, () => post('/api/users/signup', new URLSearchParams(credentials))],
  ['signup gets multipart form data', 400, () => post('/api/users/signup', formData(credentials))],
  [
    'signin gets XML',
    400,
    () => post('/api/users/signin', '<user><email>mallory@example.com</email></user>', { 'content-type': 'application/xml' }),
  ],
  ['signup gets a body over 100 kB', 413, () => post('/api/users/signup', oversized('password'))],
  ['signin gets a body over 100 kB', 413, () => post('/api/users/signin', oversized('email'))],
  ['signup gets a JSON array', 400, () => post('/api/users/signup', json([credentials]))],
  ['signup gets JSON null', 400, () => post('/api/users/signup', 'null')],
  [
    'signup gets an unsupported charset',
    415,
    () => post('/api/users/signup', json(credentials), { 'content-type': 'application/json; charset=latin1' }),
  ],
  ['signup claims gzip but is not', 400, () => post('/api/users/signup', json(credentials), { 'content-encoding': 'gzip' })],
  ['signup gets an unknown content encoding', 415, () => post('/api/users/signup', json(credentials), { 'content-encoding': 'compress' })],
  ['signup gets an operator as email', 400, () => post('/api/users/signup', json({ email: { $gt: '' }, password: 'correct horse' }))],
  [
    'signin gets operators as email and password',
    400,
    () => post('/api/users/signin', json({ email: { $gt: '' }, password: { $ne: null } })),
  ],
  [
    'signin gets a real email and an operator as password',
    400,
    (f) => post('/api/users/signin', json({ email: f.seller.email, password: { $ne: '' } })),
  ],
  ['signin gets a $regex email', 400, () => post('/api/users/signin', json({ email: { $regex: '.*' }, password: 'x' }))],
  ['signin gets operators in the query string only', 400, () => post('/api/users/signin?email[$ne]=x&password[$ne]=x', '{}')],
  ['signup hides the credentials under __proto__', 400, () => post('/api/users/signup', `{"__proto__":${json(credentials)}}`)],
  [
    'signup hides the credentials under constructor.prototype',
    400,
    () => post('/api/users/signup', json({ constructor: { prototype: credentials } })),
  ],
  [
    'signup gets an email of 1 000 characters',
    400,
    () => post('/api/users/signup', json({ ...credentials, email: `${longText(988)}@example.com` })),
  ],
  [
    'signup gets a password of 10 000 characters',
    400,
    () => post('/api/users/signup', json({ ...credentials, password: longText(10_000) })),
  ],
  [
    'signup gets an email with a NUL byte',
    400,
    () => post('/api/users/signup', json({ ...credentials, email: 'mallory\u0000@example.com' })),
  ],
  [
    'signup gets an email with a header injection',
    400,
    () => post('/api/users/signup', json({ ...credentials, email: 'mallory@example.com\r\nSet-Cookie: session=x' })),
  ],
  [
    'signup reuses a taken email in upper case',
    400,
    (f) => post('/api/users/signup', json({ ...credentials, email: f.seller.email.toUpperCase() })),
  ],
  ['signin guesses a wrong password', 400, (f) => post('/api/users/signin', json({ email: f.seller.email, password: 'wrong password' }))],
  ['auth gets a path it does not serve', 404, () => ({ method: 'GET', path: '/api/users/%ZZ' })],
  ['auth gets a raw ../ path', 400, () => ({ method: 'GET', path: '/api/users/currentuser/../../tickets', isRawPath: true })],
];

const ticketCases: Case[] = [
  ['a ticket is created from malformed JSON', 400, (f) => post('/api/tickets', '{"title":"Hostile","price":', cookie(f.seller.token))],
  [
    'a ticket is created from text/plain',
    400,
    (f) => post('/api/tickets', 'title=Hostile&price=10', { ...cookie(f.seller.token), 'content-type': 'text/plain' }),
  ],
  [
    'a ticket is created from a form-urlencoded body',
    400,
    (f) => post('/api/tickets', new URLSearchParams({ title: 'Hostile', price: '10' }), cookie(f.seller.token)),
  ],
  [
    'a ticket is created from multipart form data',
    400,
    (f) => post('/api/tickets', formData({ title: 'Hostile', price: '10' }), cookie(f.seller.token)),
  ],
  [
    'a ticket is created from XML',
    400,
    (f) =>
      post('/api/tickets', '<ticket><title>Hostile</title><price>10</price></ticket>', {
        ...cookie(f.seller.token),
        'content-type': 'text/xml',
      }),
  ],
  ['a ticket is created from a body over 100 kB', 413, (f) => post('/api/tickets', oversized('title'), cookie(f.seller.token))],
  [
    'a ticket costs 1e309 (Infinity once parsed)',
    400,
    (f) => post('/api/tickets', '{"title":"Hostile","price":1e309}', cookie(f.seller.token)),
  ],
  ['a ticket costs "NaN"', 400, (f) => post('/api/tickets', json({ ...ticket, price: 'NaN' }), cookie(f.seller.token))],
  ['a ticket costs "Infinity"', 400, (f) => post('/api/tickets', json({ ...ticket, price: 'Infinity' }), cookie(f.seller.token))],
  ['a ticket costs -1', 400, (f) => post('/api/tickets', json({ ...ticket, price: -1 }), cookie(f.seller.token))],
  ['a ticket costs 0', 400, (f) => post('/api/tickets', json({ ...ticket, price: 0 }), cookie(f.seller.token))],
  ['a ticket costs 10.001', 400, (f) => post('/api/tickets', json({ ...ticket, price: 10.001 }), cookie(f.seller.token))],
  ['a ticket costs "12abc"', 400, (f) => post('/api/tickets', json({ ...ticket, price: '12abc' }), cookie(f.seller.token))],
  ['a ticket costs "1e3" as a string', 400, (f) => post('/api/tickets', json({ ...ticket, price: '1e3' }), cookie(f.seller.token))],
  ['a ticket costs 1e-7 as raw JSON', 400, (f) => post('/api/tickets', '{"title":"Hostile","price":1e-7}', cookie(f.seller.token))],
  [
    'a ticket costs 1e7 as raw JSON (over the maximum)',
    400,
    (f) => post('/api/tickets', '{"title":"Hostile","price":1e7}', cookie(f.seller.token)),
  ],
  ['a ticket costs an operator', 400, (f) => post('/api/tickets', json({ ...ticket, price: { $gt: 0 } }), cookie(f.seller.token))],
  ['a ticket costs an array', 400, (f) => post('/api/tickets', json({ ...ticket, price: [10] }), cookie(f.seller.token))],
  ['a ticket costs true', 400, (f) => post('/api/tickets', json({ ...ticket, price: true }), cookie(f.seller.token))],
  ['a ticket costs null', 400, (f) => post('/api/tickets', json({ ...ticket, price: null }), cookie(f.seller.token))],
  [
    'a ticket has a title of 10 000 characters',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: longText(10_000) }), cookie(f.seller.token)),
  ],
  ['a ticket title has a NUL byte', 400, (f) => post('/api/tickets', json({ ...ticket, title: 'Host\u0000ile' }), cookie(f.seller.token))],
  [
    'a ticket title has terminal escapes',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: '\u001b[2JHostile\u0007' }), cookie(f.seller.token)),
  ],
  ['a ticket title is only whitespace', 400, (f) => post('/api/tickets', json({ ...ticket, title: ' \t ' }), cookie(f.seller.token))],
  [
    'a ticket title has a C1 control (NEL)',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: 'Host\u0085ile' }), cookie(f.seller.token)),
  ],
  [
    'a ticket title has a right-to-left override',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: 'Hostile \u202Egnp.exe' }), cookie(f.seller.token)),
  ],
  [
    'a ticket title has a bidi isolate',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: '\u2067Hostile\u2069' }), cookie(f.seller.token)),
  ],
  [
    'a ticket title has a line separator',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: 'Host\u2028ile' }), cookie(f.seller.token)),
  ],
  [
    'a ticket title is only zero-width spaces',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: '\u200B\u200B\u200B' }), cookie(f.seller.token)),
  ],
  [
    'a ticket title is only a word joiner and a BOM',
    400,
    (f) => post('/api/tickets', json({ ...ticket, title: '\u2060\uFEFF' }), cookie(f.seller.token)),
  ],
  [
    'a ticket title has a lone surrogate',
    400,
    (f) => post('/api/tickets', '{"title":"Host\\ud800ile","price":10}', cookie(f.seller.token)),
  ],
  [
    'an edit hides a right-to-left override in the title',
    400,
    (f) => ({
      method: 'PUT',
      path: `/api/tickets/${f.spareTicketId}`,
      body: json({ ...ticket, title: 'Spare\u202E' }),
      headers: cookie(f.seller.token),
    }),
  ],
  ['a ticket title is an operator', 400, (f) => post('/api/tickets', json({ ...ticket, title: { $ne: null } }), cookie(f.seller.token))],
  ['a ticket hides its fields under __proto__', 400, (f) => post('/api/tickets', `{"__proto__":${json(ticket)}}`, cookie(f.seller.token))],
  [
    'a ticket hides its fields under constructor.prototype',
    400,
    (f) => post('/api/tickets', json({ constructor: { prototype: ticket } }), cookie(f.seller.token)),
  ],
  [
    'a ticket body nests arrays 5 000 deep',
    400,
    (f) => post('/api/tickets', `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`, cookie(f.seller.token)),
  ],
  [
    'a ticket body repeats the price key with an operator last',
    400,
    (f) => post('/api/tickets', '{"title":"Hostile","price":10,"price":{"$gt":0}}', cookie(f.seller.token)),
  ],
  ['a valid ticket comes without a session', 401, () => post('/api/tickets', json(ticket))],
  ['a ticket is read by an operator-shaped id', 404, () => ({ method: 'GET', path: `/api/tickets/${operatorId}` })],
  ['a ticket is read by an encoded ../ id', 400, () => ({ method: 'GET', path: '/api/tickets/..%2F..%2Fusers%2Fcurrentuser' })],
  ['a ticket is read by an id of 5 000 characters', 404, () => ({ method: 'GET', path: `/api/tickets/${'a'.repeat(5000)}` })],
  ['a ticket is read by its id plus %00', 404, (f) => ({ method: 'GET', path: `/api/tickets/${f.ticketId}%00` })],
  ['a ticket is read by an id that is not valid percent-encoding', 400, () => ({ method: 'GET', path: '/api/tickets/%E0%A4%A' })],
  ['a ticket is read by a well-formed unknown id', 404, () => ({ method: 'GET', path: `/api/tickets/${unknownId}` })],
  [
    'a ticket is edited by an operator-shaped id',
    404,
    (f) => ({ method: 'PUT', path: `/api/tickets/${operatorId}`, body: json(ticket), headers: cookie(f.seller.token) }),
  ],
  [
    'a ticket is edited by an id that is not valid percent-encoding',
    400,
    (f) => ({ method: 'PUT', path: '/api/tickets/%ZZ', body: json(ticket), headers: cookie(f.seller.token) }),
  ],
  [
    "someone else's free ticket is edited",
    401,
    (f) => ({ method: 'PUT', path: `/api/tickets/${f.spareTicketId}`, body: json(ticket), headers: cookie(f.buyer.token) }),
  ],
  [
    "someone else's reserved ticket is edited",
    401,
    (f) => ({ method: 'PUT', path: `/api/tickets/${f.ticketId}`, body: json(ticket), headers: bearer(f.buyer.token) }),
  ],
  [
    'the owner edits a reserved ticket',
    400,
    (f) => ({ method: 'PUT', path: `/api/tickets/${f.ticketId}`, body: json(ticket), headers: cookie(f.seller.token) }),
  ],
  [
    'the owner edits a ticket with an operator price',
    400,
    (f) => ({
      method: 'PUT',
      path: `/api/tickets/${f.spareTicketId}`,
      body: json({ ...ticket, price: { $gt: 0 } }),
      headers: cookie(f.seller.token),
    }),
  ],
  [
    'the owner edits a ticket with a title of 10 000 characters',
    400,
    (f) => ({
      method: 'PUT',
      path: `/api/tickets/${f.spareTicketId}`,
      body: json({ ...ticket, title: longText(10_000) }),
      headers: cookie(f.seller.token),
    }),
  ],
  [
    'the owner edits a ticket with malformed JSON',
    400,
    (f) => ({ method: 'PUT', path: `/api/tickets/${f.spareTicketId}`, body: '{"title":', headers: cookie(f.seller.token) }),
  ],
  [
    'the owner edits a ticket with text/plain',
    400,
    (f) => ({
      method: 'PUT',
      path: `/api/tickets/${f.spareTicketId}`,
      body: 'title=x&price=1',
      headers: { ...cookie(f.seller.token), 'content-type': 'text/plain' },
    }),
  ],
  ['a ticket is edited without a session', 401, (f) => ({ method: 'PUT', path: `/api/tickets/${f.spareTicketId}`, body: json(ticket) })],
  [
    'a ticket is patched (no such route)',
    404,
    (f) => ({ method: 'PATCH', path: `/api/tickets/${f.spareTicketId}`, body: json(ticket), headers: cookie(f.seller.token) }),
  ],
  [
    'a ticket is edited through a raw ../ path',
    400,
    (f) => ({
      method: 'PUT',
      path: '/api/tickets/../users/signup',
      body: json(credentials),
      headers: cookie(f.seller.token),
      isRawPath: true,
    }),
  ],
];

const orderCases: Case[] = [
  ['an order is placed with malformed JSON', 400, (f) => post('/api/orders', '{"ticketId":', cookie(f.buyer.token))],
  [
    'an order is placed with text/plain',
    400,
    (f) => post('/api/orders', `ticketId=${f.spareTicketId}`, { ...cookie(f.buyer.token), 'content-type': 'text/plain' }),
  ],
  [
    'an order is placed with a form-urlencoded body',
    400,
    (f) => post('/api/orders', new URLSearchParams({ ticketId: f.spareTicketId }), cookie(f.buyer.token)),
  ],
  [
    'an order is placed with multipart form data',
    400,
    (f) => post('/api/orders', formData({ ticketId: f.spareTicketId }), cookie(f.buyer.token)),
  ],
  [
    'an order is placed with XML',
    400,
    (f) =>
      post('/api/orders', `<order><ticketId>${f.spareTicketId}</ticketId></order>`, {
        ...cookie(f.buyer.token),
        'content-type': 'application/xml',
      }),
  ],
  ['an order is placed with a body over 100 kB', 413, (f) => post('/api/orders', oversized('ticketId'), cookie(f.buyer.token))],
  ['an order names its ticket by {"$ne":null}', 400, (f) => post('/api/orders', json({ ticketId: { $ne: null } }), cookie(f.buyer.token))],
  ['an order names its ticket by {"$gt":""}', 400, (f) => post('/api/orders', json({ ticketId: { $gt: '' } }), cookie(f.buyer.token))],
  ['an order names its ticket in an array', 400, (f) => post('/api/orders', json({ ticketId: [f.spareTicketId] }), cookie(f.buyer.token))],
  [
    'an order names its ticket by 10 000 characters',
    400,
    (f) => post('/api/orders', json({ ticketId: longText(10_000) }), cookie(f.buyer.token)),
  ],
  [
    'an order names its ticket with a trailing NUL byte',
    400,
    (f) => post('/api/orders', json({ ticketId: `${f.spareTicketId}\u0000` }), cookie(f.buyer.token)),
  ],
  ['an order names its ticket by a number', 400, (f) => post('/api/orders', json({ ticketId: 12345 }), cookie(f.buyer.token))],
  [
    'an order hides its ticket under __proto__',
    400,
    (f) => post('/api/orders', `{"__proto__":{"ticketId":"${f.spareTicketId}"}}`, cookie(f.buyer.token)),
  ],
  ['an order names its ticket only in the query string', 400, (f) => post('/api/orders?ticketId[$ne]=x', '{}', cookie(f.buyer.token))],
  ['an order is placed for a reserved ticket', 400, (f) => post('/api/orders', json({ ticketId: f.ticketId }), cookie(f.seller.token))],
  ['an order is placed for an unknown ticket', 404, (f) => post('/api/orders', json({ ticketId: unknownId }), cookie(f.buyer.token))],
  ['an order is placed without a session', 401, (f) => post('/api/orders', json({ ticketId: f.spareTicketId }))],
  ["someone else's order is read", 401, (f) => ({ method: 'GET', path: `/api/orders/${f.orderId}`, headers: cookie(f.seller.token) })],
  [
    "someone else's order is cancelled",
    401,
    (f) => ({ method: 'DELETE', path: `/api/orders/${f.orderId}`, headers: bearer(f.seller.token) }),
  ],
  [
    "someone else's order is read with their user id in the query",
    401,
    (f) => ({ method: 'GET', path: `/api/orders/${f.orderId}?userId=${f.buyer.id}`, headers: cookie(f.seller.token) }),
  ],
  [
    "someone else's order is cancelled with ?userId[$gt]=",
    401,
    (f) => ({ method: 'DELETE', path: `/api/orders/${f.orderId}?userId[$gt]=`, headers: cookie(f.seller.token) }),
  ],
  [
    'an order is read by an operator-shaped id',
    404,
    (f) => ({ method: 'GET', path: `/api/orders/${operatorId}`, headers: cookie(f.buyer.token) }),
  ],
  [
    'an order is cancelled by an operator-shaped id',
    404,
    (f) => ({ method: 'DELETE', path: `/api/orders/${operatorId}`, headers: cookie(f.buyer.token) }),
  ],
  [
    'an order is cancelled by an encoded ../ id',
    400,
    (f) => ({ method: 'DELETE', path: `/api/orders/..%2F${f.orderId}`, headers: cookie(f.buyer.token) }),
  ],
  [
    'an order is read by its id plus %00',
    404,
    (f) => ({ method: 'GET', path: `/api/orders/${f.orderId}%00`, headers: cookie(f.buyer.token) }),
  ],
  [
    'an order is read by an id of 5 000 characters',
    404,
    (f) => ({ method: 'GET', path: `/api/orders/${'f'.repeat(5000)}`, headers: cookie(f.buyer.token) }),
  ],
  [
    'an order is read by an id that is not valid percent-encoding',
    400,
    (f) => ({ method: 'GET', path: '/api/orders/%ZZ', headers: cookie(f.buyer.token) }),
  ],
  ["an order is read by a ticket's id", 404, (f) => ({ method: 'GET', path: `/api/orders/${f.ticketId}`, headers: cookie(f.buyer.token) })],
  ['orders are listed without a session but with ?userId[$ne]=x', 401, () => ({ method: 'GET', path: '/api/orders?userId[$ne]=x' })],
];

const sessionCases: Case[] = [
  ...FORGED_TOKEN_KINDS.flatMap((kind): Case[] => [
    [
      `the buyer's order is read with a cookie token ${kind}`,
      401,
      (f) => ({ method: 'GET', path: `/api/orders/${f.orderId}`, headers: cookie(f.forged[kind]) }),
    ],
    [
      `the buyer's order is cancelled with a Bearer token ${kind}`,
      401,
      (f) => ({ method: 'DELETE', path: `/api/orders/${f.orderId}`, headers: bearer(f.forged[kind]) }),
    ],
    [`a ticket is created with a cookie token ${kind}`, 401, (f) => post('/api/tickets', json(ticket), cookie(f.forged[kind]))],
  ]),
  [
    "the buyer's order is read with Basic credentials",
    401,
    (f) => ({
      method: 'GET',
      path: `/api/orders/${f.orderId}`,
      headers: { authorization: `Basic ${Buffer.from(`${f.buyer.email}:correct horse battery`).toString('base64')}` },
    }),
  ],
  ['orders are listed with an empty session cookie', 401, () => ({ method: 'GET', path: '/api/orders', headers: { cookie: 'session=' } })],
  [
    'orders are listed with a Bearer token of 10 000 characters',
    401,
    () => ({ method: 'GET', path: '/api/orders', headers: bearer(longText(10_000)) }),
  ],
  ["someone else's order is cancelled without any session", 401, (f) => ({ method: 'DELETE', path: `/api/orders/${f.orderId}` })],
];

/** Payments of the buyer's (confirmed) order that must all be refused without a charge. */
const pay = (f: Fixtures, body: RawRequest['body'], headers: Record<string, string> = cookie(f.buyer.token)) =>
  post('/api/payments', body, headers);
const paymentCases: Case[] = [
  ['a payment comes as malformed JSON', 400, (f) => pay(f, '{"token":"tok_visa","orderId":')],
  [
    'a payment comes as text/plain',
    400,
    (f) => pay(f, `token=tok_visa&orderId=${f.orderId}`, { ...cookie(f.buyer.token), 'content-type': 'text/plain' }),
  ],
  ['a payment comes as a form-urlencoded body', 400, (f) => pay(f, new URLSearchParams({ token: 'tok_visa', orderId: f.orderId }))],
  ['a payment comes as a body over 100 kB', 413, (f) => pay(f, oversized('token'))],
  ['a payment comes as a JSON array', 400, (f) => pay(f, json([{ token: 'tok_visa', orderId: f.orderId }]))],
  ['a payment names its order by {"$ne":null}', 400, (f) => pay(f, json({ token: 'tok_visa', orderId: { $ne: null } }))],
  ['a payment names its order in an array', 400, (f) => pay(f, json({ token: 'tok_visa', orderId: [f.orderId] }))],
  ['a payment names its order with a trailing NUL byte', 400, (f) => pay(f, json({ token: 'tok_visa', orderId: `${f.orderId}\u0000` }))],
  ['a payment carries its token as {"$gt":""}', 400, (f) => pay(f, json({ token: { $gt: '' }, orderId: f.orderId }))],
  ['a payment carries a token of 10 000 characters', 400, (f) => pay(f, json({ token: `tok_${longText(10_000)}`, orderId: f.orderId }))],
  ['a payment carries a token that is not a Stripe token', 400, (f) => pay(f, json({ token: 'tok_visa; DROP', orderId: f.orderId }))],
  ['a payment carries a card number instead of a token', 400, (f) => pay(f, json({ token: '4242424242424242', orderId: f.orderId }))],
  ['a payment hides its fields under __proto__', 400, (f) => pay(f, `{"__proto__":{"token":"tok_visa","orderId":"${f.orderId}"}}`)],
  ['a payment names an unknown order', 404, (f) => pay(f, json({ token: 'tok_visa', orderId: unknownId }))],
  ["the seller pays the buyer's order", 401, (f) => pay(f, json({ token: 'tok_visa', orderId: f.orderId }), cookie(f.seller.token))],
  ['a payment comes without a session', 401, (f) => pay(f, json({ token: 'tok_visa', orderId: f.orderId }), {})],
  [
    'a payment comes with an alg:none session',
    401,
    (f) => pay(f, json({ token: 'tok_visa', orderId: f.orderId }), cookie(f.forged['alg none'])),
  ],
];

const raw = (path: string): RawRequest => ({ method: 'GET', path, isRawPath: true });

/** Every way out of every service's tree, and out of the client's files: the gateway refuses each before routing. */
const escapeCases: Case[] = [
  ...SERVICES.flatMap(({ prefix }, index): Case[] => {
    const sibling = SERVICES[(index + 1) % SERVICES.length].prefix;
    return [
      ...pathEscapes(prefix).map(([how, path]): Case => [`${prefix} is left by ${how}`, 400, () => raw(path)]),
      [`${prefix} is left by ../ for ${sibling}'s readiness`, 400, () => raw(`${prefix}/..${sibling.slice('/api'.length)}/readyz`)],
      [`${prefix} is left by ../ in an absolute URL`, 400, () => raw(`http://gateway.invalid${prefix}/../../metrics`)],
      // No decoder of today reads an overlong UTF-8 dot as '.', so this one passes the gateway: the service's 404.
      [`${prefix} is left by overlong UTF-8 dots (%c0%ae)`, 404, () => raw(`${prefix}/%c0%ae%c0%ae/%c0%ae%c0%ae/metrics`)],
    ];
  }),
  ...CLIENT_ESCAPES.map(([how, path]): Case => [`the client's files are left by ${how}`, 400, () => raw(path)]),
];

const corpus: Case[] = [...authCases, ...ticketCases, ...orderCases, ...paymentCases, ...sessionCases, ...escapeCases];

function formData(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

describe('hostile input through the gateway', () => {
  let system: TestSystem;
  let authDb: Connection;
  let fixtures: Fixtures;
  let before: Record<string, string>;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  const databases = () => ({ auth: authDb, tickets: system.db.tickets, orders: system.db.orders, payments: system.db.payments });

  async function signUp(name: string): Promise<User> {
    const email = `${name}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const res = await fetch(`${system.gatewayUrl}/api/users/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json({ email, password: 'correct horse battery' }),
    });
    const token = /^session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    const body = (await res.json()) as Identity;
    if (res.status !== 201 || !token) throw new Error(`signup failed: ${res.status} ${json(body)}`);
    return { id: body.id, email: body.email, token };
  }

  async function created(request: RawRequest): Promise<string> {
    const res = await send(system.gatewayUrl, request);
    if (res.status !== 201) throw new Error(`${request.method} ${request.path} failed: ${res.status} ${res.text}`);
    return (JSON.parse(res.text) as { id: string }).id;
  }

  /** The fixtures are settled when both replicas have caught up and no outbox holds an event. */
  async function isSettled(ticketId: string, orderId: string): Promise<boolean> {
    const [tickets, replicas, orders, orderReplicas] = await Promise.all([
      system.db.tickets.collection('tickets').find().toArray(),
      system.db.orders.collection('tickets').find().toArray(),
      system.db.orders.collection('orders').find().toArray(),
      system.db.payments.collection('orders').find().toArray(),
    ]);
    const source = tickets.find((t) => String(t._id) === ticketId);
    const replica = replicas.find((t) => String(t._id) === ticketId);
    return (
      source?.orderId === orderId &&
      source.version === 1 &&
      replica?.version === 1 &&
      replicas.length === 2 &&
      // tickets accepted the reservation, and payments knows the order as confirmed
      orders.find((o) => String(o._id) === orderId)?.status === 'awaiting:payment' &&
      orderReplicas.find((o) => String(o._id) === orderId)?.status === 'awaiting:payment' &&
      [...tickets, ...orders].every((doc) => (doc.pendingEvents ?? []).length === 0)
    );
  }

  beforeAll(async () => {
    // The corpus makes dozens of signup and signin attempts from one address: lift the per-IP limit.
    system = await startTestSystem({ env: { auth: { RATE_LIMIT_PER_MINUTE: '100000' } } });
    authDb = await mongoose.createConnection(system.databases.auth, { maxPoolSize: 1 }).asPromise();
    const [seller, buyer] = [await signUp('seller'), await signUp('buyer')];
    const ticketId = await created(post('/api/tickets', json({ title: 'Fixture', price: 40 }), cookie(seller.token)));
    const spareTicketId = await created(post('/api/tickets', json({ title: 'Spare', price: 25.5 }), cookie(seller.token)));
    await waitFor(async () => (await system.db.orders.collection('tickets').countDocuments()) === 2, {
      description: "orders' replicas of the fixture tickets",
      timeoutMs: 20_000,
    });
    const orderId = await created(post('/api/orders', json({ ticketId }), cookie(buyer.token)));
    await waitFor(() => isSettled(ticketId, orderId), { description: 'the fixtures to settle', timeoutMs: 20_000 });
    const forged = forgedTokens(system.sessionKeys, { id: buyer.id, email: buyer.email }, seller.token);
    fixtures = { seller, buyer, ticketId, spareTicketId, orderId, forged };
    before = await snapshotDatabases(databases());
  }, 90_000);

  afterAll(async () => {
    await system?.shutdown();
    await authDb?.dropDatabase().catch(() => undefined);
    await authDb?.close();
  });

  it('When the corpus is counted, then it holds at least 70 requests across the four services', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(70);
    for (const prefix of ['/api/users', '/api/tickets', '/api/orders', '/api/payments']) {
      expect(corpus.filter(([, , request]) => request(fixtures).path.startsWith(prefix)).length).toBeGreaterThanOrEqual(10);
    }
  });

  it.each(corpus)('When %s, then it answers %i in the error shape', async (_description, status, request) => {
    const res = await send(system.gatewayUrl, request(fixtures));

    expect(res.text).not.toMatch(LEAKED);
    expect({ status: res.status, text: res.text.slice(0, 300) }).toEqual({ status, text: expect.any(String) });
    expect(res.contentType).toMatch(/^application\/json/);
    expect(isErrorShape(JSON.parse(res.text))).toBe(true);
  });

  it('When list queries carry operator-shaped parameters, then they are ignored and only what the caller may see comes back', async () => {
    const tickets = await send(system.gatewayUrl, { method: 'GET', path: '/api/tickets?orderId[$ne]=x&userId[$gt]=' });
    expect(tickets.status).toBe(200);
    expect((JSON.parse(tickets.text) as Identity[]).map((t) => t.id)).toEqual([fixtures.spareTicketId]);

    const sellerOrders = await send(system.gatewayUrl, {
      method: 'GET',
      path: '/api/orders?userId[$ne]=x',
      headers: cookie(fixtures.seller.token),
    });
    expect(sellerOrders.status).toBe(200);
    expect(JSON.parse(sellerOrders.text)).toEqual([]);

    const buyerOrders = await send(system.gatewayUrl, {
      method: 'GET',
      path: '/api/orders?userId[$gt]=',
      headers: bearer(fixtures.buyer.token),
    });
    expect(buyerOrders.status).toBe(200);
    expect((JSON.parse(buyerOrders.text) as Identity[]).map((o) => o.id)).toEqual([fixtures.orderId]);
  });

  it('When the corpus has run, then every collection of every database is exactly as before', async () => {
    const after = await snapshotDatabases(databases());

    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['auth.users', 'tickets.tickets', 'orders.orders', 'orders.tickets', 'payments.orders']),
    );
    expect(after).toEqual(before);
  });

  it('When the corpus has run, then Object.prototype is not polluted in the test process', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    const probe: Record<string, unknown> = {};
    for (const key of ['email', 'password', 'title', 'price', 'ticketId', 'polluted', 'isAdmin']) expect(probe[key]).toBeUndefined();
  });

  it('When the corpus has run, then every service is still up, ready and logged no unhandled error', async () => {
    for (const { name, prefix } of SERVICES) {
      expect(system.services[name].isRunning).toBe(true);
      expect((await fetch(`${system.urls[name]}${prefix}/readyz`)).status).toBe(200);
      expect((await fetch(`${system.gatewayUrl}${prefix}/readyz`)).status).toBe(200);
      const log = readFileSync(path.join(system.logDir, `${name}.log`), 'utf8');
      expect(log.split('\n').filter((line) => line.includes('"unhandled error"'))).toEqual([]);
    }
  });
});
