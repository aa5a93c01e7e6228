/**
 * `npm run images [-- <image>…]`: builds the stand-in base images when their recipe changed, then the project's
 * images with podman (all of them, or the ones named: auth tickets orders payments client). `--base-only` stops
 * after the base images.
 */
import { ensureBaseImages } from '../images/base-images';
import { containersConfFile, ensurePodman } from '../images/podman';
import { buildProjectImage, PROJECT_IMAGES } from '../images/project-images';
import { stderrLog } from '../log';

async function main(args: string[]): Promise<void> {
  const isBaseOnly = args.includes('--base-only');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const images =
    names.length === 0 ? PROJECT_IMAGES : PROJECT_IMAGES.filter((image) => names.includes(image.name.replace('ticketing/', '')));
  const unknown = names.filter((name) => !PROJECT_IMAGES.some((image) => image.name === `ticketing/${name}`));
  if (unknown.length > 0) {
    const known = PROJECT_IMAGES.map((image) => image.name.replace('ticketing/', '')).join(', ');
    throw new Error(`no image named ${unknown.join(', ')}: the images are ${known}`);
  }
  const tools = await ensurePodman(stderrLog);
  await ensureBaseImages(tools, stderrLog);
  if (!isBaseOnly) for (const image of images) await buildProjectImage(tools, image, stderrLog);
  stderrLog(`done; to use podman by hand with the same settings: export CONTAINERS_CONF=${containersConfFile}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
