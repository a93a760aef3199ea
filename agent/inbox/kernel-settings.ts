// The kernel's link protections the inbox's threat model mentions (README.md): read at start and
// reported, never relied on — every guarantee also holds with them off (see the threat model).
import { readFile } from 'node:fs/promises';

export const LINK_SETTINGS = ['protected_hardlinks', 'protected_symlinks'] as const;

/** Findings for the settings that are off; pure over the values read (undefined: not readable). */
export function linkSettingFindings(values: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  if (values.protected_hardlinks?.trim() === '0') {
    out.push('fs.protected_hardlinks is 0: members can hard-link files they do not own; the inbox still rejects every request file with more than one link');
  }
  if (values.protected_symlinks?.trim() === '0') {
    out.push('fs.protected_symlinks is 0: symlinks in shared directories are followed by the kernel; the inbox never follows one (O_NOFOLLOW), but other tools on this host might');
  }
  return out;
}

/** Reads fs.protected_hardlinks / fs.protected_symlinks from /proc/sys (missing: undefined). */
export async function readLinkSettings(procSys = '/proc/sys/fs'): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const k of LINK_SETTINGS) out[k] = await readFile(`${procSys}/${k}`, 'utf8').catch(() => undefined);
  return out;
}
