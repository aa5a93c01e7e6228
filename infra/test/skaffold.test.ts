import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@ticketing/launcher/system';
import { skaffoldSchemaPath } from '@ticketing/stack/skaffold-schema';
import Ajv from 'ajv';
import { manifestsPerProfile, readSkaffoldConfig, repoRoot, workloadRunning } from './manifests';

/** skaffold.yaml is what the pinned skaffold accepts, builds every service and deploys one bus per profile. */
describe('skaffold.yaml', () => {
  const config = readSkaffoldConfig();

  it("When skaffold.yaml is validated against skaffold's own schema for its apiVersion, then it is valid", async () => {
    expect(config.apiVersion).toBe('skaffold/v4beta13');
    const schema = JSON.parse(readFileSync(await skaffoldSchemaPath(config.apiVersion), 'utf8')) as object;
    // strict: false because the schema carries editor hints (x-intellij-html-description, preferredOrder).
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const isValid = validate(config);
    expect(isValid ? [] : validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
  }, 180_000);

  it('When skaffold builds, then each service has one artifact from the root Dockerfile, its name as SERVICE and the repository root as context, and the client one from client/Dockerfile', () => {
    expect(config.build.local?.push).toBe(false);
    expect(config.deploy.kubectl).toBeDefined();
    expect(config.build.artifacts).toHaveLength(SERVICES.length + 1);
    for (const { name } of SERVICES) {
      const artifact = config.build.artifacts.find((a) => a.image === `ticketing/${name}`);
      const { dockerfile, buildArgs } = artifact?.docker ?? {};
      expect({ name, context: artifact?.context, dockerfile, buildArgs }).toEqual({
        name,
        context: '.',
        dockerfile: 'Dockerfile',
        buildArgs: { SERVICE: name },
      });
    }
    // The argument skaffold passes is the one the Dockerfile declares.
    expect(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(/^ARG SERVICE$/m);
    // And the web client's image, from its own Dockerfile (Vite's build served by nginx).
    const client = config.build.artifacts.find((a) => a.image === 'ticketing/client');
    expect({ context: client?.context, dockerfile: client?.docker?.dockerfile }).toEqual({ context: '.', dockerfile: 'client/Dockerfile' });
  });

  it('When any profile is deployed, then every built image runs in a Deployment', () => {
    for (const { profile, manifests } of manifestsPerProfile(config)) {
      for (const { image } of config.build.artifacts) {
        expect({ profile, image, kind: workloadRunning(manifests, image)?.kind }).toEqual({ profile, image, kind: 'Deployment' });
      }
    }
  });

  it('When skaffold runs without a profile or with -p jetstream, then it deploys JetStream; with -p stan, NATS Streaming and no JetStream', () => {
    const busOf = (profile: string) => {
      const deployed = manifestsPerProfile(config).find((p) => p.profile === profile);
      const eventBus = deployed?.manifests.find(({ object }) => object.kind === 'ConfigMap' && object.metadata.name === 'event-bus');
      const servers = deployed?.manifests.filter(({ object }) => object.kind === 'StatefulSet' && /^nats/.test(object.metadata.name));
      return {
        transport: (eventBus?.object.data as Record<string, string> | undefined)?.EVENT_TRANSPORT,
        servers: servers?.map(({ object }) => object.metadata.name),
      };
    };
    expect(busOf('(default)')).toEqual({ transport: 'jetstream', servers: ['nats'] });
    expect(busOf('jetstream')).toEqual({ transport: 'jetstream', servers: ['nats'] });
    expect(busOf('stan')).toEqual({ transport: 'stan', servers: ['nats-streaming'] });
  });
});
