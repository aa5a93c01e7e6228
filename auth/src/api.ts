import { type ApiRoute, errorResponse, healthRoutes } from '@ticketing/common/http';
import { z } from 'zod';
import { signinSchema, signupSchema } from './routes/credentials';

/** auth's HTTP API: what each route accepts and answers (the OpenAPI document is generated from this). */

/** A user as auth shows it (never the password hash). */
export const userSchema = z.object({ id: z.string(), email: z.string() }).meta({ id: 'User' });

const SESSION = { 'Set-Cookie': 'The session (`session=…; HttpOnly; SameSite=Lax`, `Secure` in production).' };
const TOO_MANY = errorResponse(
  'Too many attempts from this address or on this account, or too many password checks at once; `Retry-After` says when to try again.',
);

export const apiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/users/signup',
    summary: 'Create an account and sign in',
    auth: false,
    request: { body: signupSchema },
    responses: {
      201: { description: 'Created and signed in.', schema: userSchema, headers: SESSION },
      400: errorResponse('The email or password is not acceptable, or the email is in use; each error names its field.'),
      429: TOO_MANY,
    },
  },
  {
    method: 'post',
    path: '/api/users/signin',
    summary: 'Sign in',
    auth: false,
    request: { body: signinSchema },
    responses: {
      200: { description: 'Signed in.', schema: userSchema, headers: SESSION },
      400: errorResponse('Invalid credentials (the same answer for an unknown email and a wrong password), or a malformed request.'),
      429: TOO_MANY,
    },
  },
  {
    method: 'post',
    path: '/api/users/signout',
    summary: 'Sign out: the session cookie is cleared and the session revoked everywhere',
    auth: false,
    responses: { 200: { description: 'Signed out (also without a session).', schema: z.object({}).strict() } },
  },
  {
    method: 'get',
    path: '/api/users/currentuser',
    summary: 'Who is signed in',
    auth: false,
    responses: {
      200: {
        description: 'The signed-in user, or null without a valid session.',
        schema: z.object({ currentUser: userSchema.nullable() }),
      },
    },
  },
  ...healthRoutes('/api/users'),
];
