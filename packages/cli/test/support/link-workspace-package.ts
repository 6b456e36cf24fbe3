import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Gives a freshly generated workspace package its node_modules the way `pnpm install` lays them out
 * — `workspace:*` dependencies as links to the workspace package, the others as links into the pnpm
 * store — without running an install, which would rewrite the shared lockfile and every package's
 * node_modules while other work goes on in the same tree. Each external dependency is taken from
 * the first of `donors` (installed workspace packages) that has it.
 */
export async function linkWorkspacePackage(packageDir: string, root: string, donors: string[]): Promise<string[]> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const workspace = new Map<string, string>();
  for (const group of ['packages', 'plugins', 'apps']) {
    if (!existsSync(join(root, group))) continue;
    for (const entry of readdirSync(join(root, group))) {
      const file = join(root, group, entry, 'package.json');
      if (existsSync(file)) workspace.set((JSON.parse(readFileSync(file, 'utf8')) as { name: string }).name, join(root, group, entry));
    }
  }
  const linked: string[] = [];
  for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
    let target: string | undefined;
    if (range.startsWith('workspace:')) target = workspace.get(name);
    else {
      const donor = donors.map((d) => join(d, 'node_modules', name)).find((candidate) => existsSync(candidate));
      target = donor ? realpathSync(donor) : undefined;
    }
    if (!target) throw new Error(`cannot link ${name}@${range}: no workspace package or installed copy has it`);
    const link = join(packageDir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
    linked.push(name);
  }
  return linked;
}
