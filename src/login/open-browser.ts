import { spawn } from 'node:child_process';

/** The command that opens a URL on this platform, or undefined when there is nowhere to show a browser. */
export function browserCommandFor(url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // Why not `cmd /c start`: cmd would split the URL at every `&`; rundll32 takes it as one argument.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  // Without a display, xdg-open falls back to a text browser that would take over this terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [url] };
}

/** Tries to open `url` in the user's browser (open / rundll32 / xdg-open); false when it cannot. Never throws. */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): boolean {
  const browser = browserCommandFor(url, platform, env);
  if (!browser) return false;
  try {
    const child = spawn(browser.command, browser.args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
