import { schemaErrors, typeErrors } from './kubernetes-schema';
import { k8sDir, type LoadedManifest, loadManifests, manifestsPerProfile, yamlFilesUnder } from './manifests';

/** Every manifest is a valid Kubernetes object, and skaffold deploys each of them exactly once per profile. */
describe('Kubernetes manifests', () => {
  const files = yamlFilesUnder(k8sDir);
  const manifests = files.flatMap(loadManifests);

  it('When infra/k8s is read, then it holds manifests for services, databases, both buses, the ingress and the network policies', () => {
    const kinds = new Set(manifests.map(({ object }) => object.kind));
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining(['ConfigMap', 'Deployment', 'Ingress', 'NetworkPolicy', 'Service', 'StatefulSet']),
    );
  });

  it('When every manifest is checked against the kubernetes-models schemas, then none is invalid', () => {
    expect(schemaErrors(manifests)).toEqual([]);
  });

  it('When every manifest is type-checked against the kubernetes-models types, then none has a field Kubernetes does not know or lacks one it needs', () => {
    expect(typeErrors(manifests)).toEqual([]);
  }, 60_000);

  it('When a manifest is broken, then both checks name the broken document', () => {
    const broken: LoadedManifest[] = [
      { source: 'unknown.yaml#0', object: { apiVersion: 'v1', kind: 'Gadget', metadata: { name: 'x' } } },
      {
        source: 'no-selector.yaml#0',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: {} } },
      },
      {
        source: 'typo.yaml#0',
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'x' },
          spec: { ports: [{ port: 80, targetPort: 80, portName: 'http' }] },
        },
      },
    ];
    const errors = schemaErrors(broken);
    expect(errors).toEqual([
      expect.stringMatching(/^unknown\.yaml#0 Gadget x: no kubernetes-models class/),
      expect.stringMatching(/^no-selector\.yaml#0 Deployment x: .*selector/),
    ]);
    expect(typeErrors(broken)).toEqual([
      expect.stringMatching(/^unknown\.yaml#0 Gadget x: Cannot find module/),
      expect.stringMatching(/^no-selector\.yaml#0 Deployment x: .*selector.* is missing/),
      expect.stringMatching(/^typo\.yaml#0 Service x: .*portName.* does not exist/),
    ]);
  }, 60_000);

  it('When skaffold deploys any profile, then every object is defined once and every manifest file is used by some profile', () => {
    const profiles = manifestsPerProfile();
    for (const { profile, manifests: deployed } of profiles) {
      const ids = deployed.map(({ object }) => `${object.kind}/${object.metadata.name}`);
      expect({ profile, duplicates: ids.filter((id, i) => ids.indexOf(id) !== i) }).toEqual({ profile, duplicates: [] });
    }
    const used = new Set(profiles.flatMap((p) => p.files));
    expect(files.filter((file) => !used.has(file))).toEqual([]);
  });
});
