import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ServiceMetrics } from '@ticketing/common/http';
import { SERVICES } from '@ticketing/launcher/system';
import { repoRoot } from './manifests';

/** The dashboard only queries metrics the services really expose, so no panel stays empty after a rename. */
describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', 'grafana', 'ticketing-dashboard.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; type: string; query?: string | { query?: string } }> };
  };

  it('When the dashboard is loaded, then every panel queries only metric names a service exports', async () => {
    const metrics = new ServiceMetrics('dashboard-check');
    metrics.trackOutbox(() => 0);
    const exported = new Set(
      (await metrics.registry.getMetricsAsJSON()).flatMap((m) => [m.name, `${m.name}_count`, `${m.name}_bucket`, `${m.name}_sum`]),
    );
    const promqlWords = new Set(['sum', 'by', 'rate', 'histogram_quantile', 'le', 'service', 'route', 'status', 'subject']);

    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const names = (expr.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, '').match(/[a-z_]+/g) ?? []).filter((w) => !promqlWords.has(w));
        expect(names.length).toBeGreaterThan(0);
        for (const name of names)
          expect({ panel: panel.title, name, exported: exported.has(name) }).toEqual({ panel: panel.title, name, exported: true });
      }
    }
  });

  it('When a service is deployed, then the dashboard shows it: the service variable offers it and every panel filters on that variable', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'service');
    const query = typeof variable?.query === 'string' ? variable.query : (variable?.query?.query ?? '');
    // Either the services found in Prometheus (label_values of an HTTP metric, which every service exports) or
    // a fixed list, which must then name every service.
    const offered =
      variable?.type === 'query'
        ? SERVICES.map(({ name }) => ({ name, offered: /^label_values\(http_request_duration_seconds_\w+,\s*service\)$/.test(query) }))
        : SERVICES.map(({ name }) => ({ name, offered: query.split(/\s*,\s*/).includes(name) }));
    expect(offered).toEqual(SERVICES.map(({ name }) => ({ name, offered: true })));
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets)
        expect({ panel: panel.title, expr }).toEqual({ panel: panel.title, expr: expect.stringContaining('service=~"$service"') });
    }
    // The value of the `service` label is the service's name.
    for (const { name } of SERVICES) {
      const index = readFileSync(path.join(repoRoot, name, 'src', 'index.ts'), 'utf8');
      expect({ name, labelsItsMetrics: index.includes(`new ServiceMetrics('${name}')`) }).toEqual({ name, labelsItsMetrics: true });
    }
  });
});
