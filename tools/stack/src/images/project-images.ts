/** The project's own images (the four services' and the web client's), built with podman from the repository's Dockerfiles. */
import type { StackLog } from '../log';
import { repoRoot } from '../paths';
import { type Podman, podman } from './podman';

export interface ProjectImage {
  /** skaffold's artifact name, which the Kubernetes manifests use. */
  name: string;
  /** Relative to the repository root, which is the build context of every image. */
  dockerfile: string;
  buildArgs: Record<string, string>;
}

export const SERVICE_NAMES = ['auth', 'tickets', 'orders', 'payments'] as const;

/** The same artifacts as skaffold.yaml's (infra/test/images.test.ts checks that they agree). */
export const PROJECT_IMAGES: readonly ProjectImage[] = [
  ...SERVICE_NAMES.map((service) => ({ name: `ticketing/${service}`, dockerfile: 'Dockerfile', buildArgs: { SERVICE: service } })),
  { name: 'ticketing/client', dockerfile: 'client/Dockerfile', buildArgs: {} },
];

export interface BuildOptions {
  /** The tag given to the image; default `<name>` (podman stores it as `localhost/<name>:latest`). */
  tag?: string;
  /** The repository tree to build; default this one. */
  context?: string;
}

/**
 * Builds one image. Base images come from local storage only (`--pull=never`: no registry is reachable, and the
 * stand-ins of base-images.ts carry the Dockerfiles' names). Layers are cached, so the dependency install is
 * redone only when a manifest or the lockfile changes. RUN steps use the host's network: npm reaches the registry
 * without a bridge or firewall rules being set up on the host.
 */
export async function buildProjectImage(tools: Podman, image: ProjectImage, log: StackLog, options: BuildOptions = {}): Promise<string> {
  const tag = options.tag ?? image.name;
  const context = options.context ?? repoRoot;
  const started = Date.now();
  const buildArgs = Object.entries(image.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]);
  await podman(
    tools,
    [
      'build',
      '--pull=never',
      '--layers',
      '--network=host',
      '--file',
      `${context}/${image.dockerfile}`,
      ...buildArgs,
      '--tag',
      tag,
      context,
    ],
    { logName: `images-${image.name.replace(/\W+/g, '-')}.log` },
  );
  log(`built ${tag} in ${Math.round((Date.now() - started) / 1000)} s`);
  return tag;
}
