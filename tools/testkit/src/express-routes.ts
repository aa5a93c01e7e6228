import type { Express } from 'express';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route an express 5 app answers under `/api`, as `METHOD /path` (`GET /api/tickets/:id`), its routers
 * walked. Routers are mounted without a path in this project, so a route's own path is the full one.
 */
export function apiRoutesOf(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const found: string[] = [];
  const walk = (layers: Layer[]) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const [method, isOn] of Object.entries(layer.route.methods)) {
          if (isOn && method !== '_all') found.push(`${method.toUpperCase()} ${layer.route.path}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(stack);
  return found.filter((route) => route.split(' ')[1]?.startsWith('/api/')).sort();
}

/** `METHOD /path` of each route an API description lists, sorted, to compare with `apiRoutesOf`. */
export function describedRoutes(routes: ReadonlyArray<{ method: string; path: string }>): string[] {
  return routes.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort();
}
