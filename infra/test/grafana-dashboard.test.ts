import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ServiceMetrics } from '@ticketing/common/http';

/** The dashboard only queries metrics the services really expose, so no panel stays empty after a rename. */
describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', 'grafana', 'ticketing-dashboard.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
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
});
