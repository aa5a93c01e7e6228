import { apiRoutesOf, describedRoutes } from '@ticketing/testkit/express-routes';
import { apiRoutes } from '../src/api';
import { app } from './helpers';

it("When orders' express app is listed, then its routes are exactly those its API description (src/api.ts) gives the OpenAPI document", () => {
  expect(apiRoutesOf(app)).toEqual(describedRoutes(apiRoutes));
});
