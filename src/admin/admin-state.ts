import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../credentials/atomic-file.js';
import type { Credential } from '../credentials/credential.js';

const stateSchema = z.object({
  disabled: z.record(z.string(), z.boolean()).default({}),
  removed: z.array(z.string()).default([]),
});
export type AdminState = z.infer<typeof stateSchema>;

/** What the admin page changed, kept in ~/.proxycast/state.json so it survives restarts. */
export class AdminStateStore {
  private state: AdminState = { disabled: {}, removed: [] };

  constructor(readonly file: string) {}

  static fileIn(proxycastHome: string): string {
    return path.join(proxycastHome, 'state.json');
  }

  /** Reads the file; a missing or broken one means no overrides (a broken one is left for the user to see). */
  async load(): Promise<void> {
    try {
      const parsed = stateSchema.safeParse(JSON.parse(await fs.readFile(this.file, 'utf8')));
      if (parsed.success) this.state = parsed.data;
    } catch {
      // No file yet.
    }
  }

  /** Applies the overrides to freshly built credentials: removed ones are dropped, disabled flags set. */
  apply(credentials: Credential[]): Credential[] {
    const removed = new Set(this.state.removed);
    const kept = credentials.filter((credential) => !removed.has(credential.id));
    for (const credential of kept) {
      const disabled = this.state.disabled[credential.id];
      if (disabled !== undefined) credential.disabled = disabled;
    }
    return kept;
  }

  isRemoved(id: string): boolean {
    return this.state.removed.includes(id);
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    this.state.disabled[id] = disabled;
    await this.save();
  }

  async setRemoved(id: string): Promise<void> {
    if (!this.state.removed.includes(id)) this.state.removed.push(id);
    delete this.state.disabled[id];
    await this.save();
  }

  /** A login under a removed id brings it back. */
  async forget(id: string): Promise<void> {
    this.state.removed = this.state.removed.filter((removed) => removed !== id);
    await this.save();
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
  }
}
