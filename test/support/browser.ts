// The one way tests start a browser: Debian's Chromium driven by playwright-core, with the flags
// this machine needs (no sandbox as root, no GPU, no background traffic off loopback).
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}
