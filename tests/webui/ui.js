// SPDX-License-Identifier: GPL-2.0-or-later
// The web UI in a real browser: Debian's chromium driven by playwright-core
// (webui/package.json pins it; no browser is downloaded). Run by
// tests/integration/test_webui.py, which starts hoverd --http and passes:
//   HOVER_UI_URL (with #token=...), HOVER_KERNEL, HOVER_INITRD, HOVER_ARTIFACTS
// Each step prints "ok STEP"; the first failure prints "FAIL STEP: why" and exits 1.
'use strict';
const { chromium } = require('playwright-core');

const url = process.env.HOVER_UI_URL;
const art = process.env.HOVER_ARTIFACTS;
const kernel = process.env.HOVER_KERNEL, initrd = process.env.HOVER_INITRD;
const name = 'ui1';

let step = 'launch';
const T0 = Date.now();
async function shot(page, file) { await page.screenshot({ path: `${art}/${file}.png`, fullPage: true }); }
const card = (page) => page.locator(`#vm-${name}`);
async function waitState(page, st, timeout = 60000) {
  await page.waitForFunction(([n, s]) => {
    const c = document.getElementById('vm-' + n);
    return c && c.dataset.state === s;
  }, [name, st], { timeout });
}
async function cpuSamples(page) {
  return page.$eval(`#vm-${name} .g-cpu`, (c) => ({ n: Number(c.dataset.samples || 0), last: c.dataset.last }));
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox', '--disable-gpu'] });
  try {
    // bypassCSP: playwright's waitForFunction with an argument evaluates a string, which the
    // UI's Content-Security-Policy (no eval) rightly refuses
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
    page.on('pageerror', (e) => console.log('page error: ' + e.message));

    step = 'login';
    await page.goto(url);
    await page.waitForSelector('#page-list:not([hidden])', { timeout: 10000 });
    if (page.url().includes('token=')) throw new Error('the token stayed in the address bar');
    await shot(page, '01-list-empty');
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);

    step = 'bad form value shows by its field';
    await page.click('#nav-new');
    await page.fill('#f-name', name);
    await page.fill('#f-kernel', kernel);
    await page.fill('#f-initrd', initrd);
    await page.fill('#f-memory', '12Q');
    await page.click('#create-submit');
    await page.waitForFunction(() => document.getElementById('err-memory').textContent.length > 0, null, { timeout: 10000 });
    const memErr = await page.textContent('#err-memory');
    if (!/12Q/.test(memErr)) throw new Error('memory error does not name the value: ' + memErr);
    if (await page.textContent('#err-kernel')) throw new Error('an error shown by the wrong field');
    await shot(page, '02-create-error-memory');
    await page.fill('#f-memory', '128M');
    await page.fill('#f-kernel', '/etc/passwd');
    await page.click('#create-submit');
    await page.waitForFunction(() => document.getElementById('err-kernel').textContent.length > 0, null, { timeout: 10000 });
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step + ': ' + memErr.trim() + ' | ' + (await page.textContent('#err-kernel')).trim());
    await page.fill('#f-ports', '80');
    await page.fill('#f-kernel', kernel);
    await page.click('#create-submit');
    await page.waitForFunction(() => document.getElementById('err-ports').textContent.length > 0, null, { timeout: 5000 });
    await page.fill('#f-ports', '');

    step = 'create from the form and see it running';
    await page.fill('#f-cmdline', 'console=ttyS0 quiet');
    await page.selectOption('#f-accel', 'emu');
    await page.click('#create-submit');
    await page.waitForSelector(`#vm-${name}`, { timeout: 20000 });
    await waitState(page, 'running');
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);

    step = 'the CPU graph updates';
    await page.waitForFunction((n) => {
      const c = document.querySelector(`#vm-${n} .g-cpu`);
      return c && Number(c.dataset.samples) >= 3;
    }, name, { timeout: 20000 });
    const s1 = await cpuSamples(page);
    await page.waitForTimeout(2500);
    const s2 = await cpuSamples(page);
    if (!(s2.n > s1.n)) throw new Error(`no new CPU samples (${s1.n} -> ${s2.n})`);
    await shot(page, '03-list-running');
    console.log(((Date.now() - T0) / 1000).toFixed(1) + `s ok ${step}: ${s1.n} -> ${s2.n} samples, last ${Number(s2.last).toFixed(1)}%`);

    step = 'console: echo hi';
    await card(page).locator('button[data-action=console]').click();
    await page.waitForFunction(() => document.getElementById('console-status').textContent === 'connected', null, { timeout: 10000 });
    await page.click('#terminal');
    const rows = () => page.$$eval('.xterm-rows > div', (ds) => ds.map((d) => d.textContent.trim()));
    // the shell comes up a few seconds into the boot: press Enter until a prompt shows
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Enter');
      await page.waitForTimeout(1000);
      if ((await rows()).some((r) => /#$/.test(r))) break;
    }
    await page.keyboard.type('echo hi\n', { delay: 20 });
    await page.waitForFunction(() => [...document.querySelectorAll('.xterm-rows > div')]
      .some((d) => d.textContent.trim() === 'hi'), null, { timeout: 30000 });
    await shot(page, '04-console');
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);

    step = 'logs show the console output';
    await page.goto(url.replace(/#.*/, '') + `#/vm/${name}/logs`);
    await page.waitForFunction(() => /echo hi/.test(document.getElementById('logs').textContent), null, { timeout: 10000 });
    if ((await page.textContent('#logs')).includes('\x1b')) throw new Error('terminal escapes left in the log view');
    await shot(page, '05-logs');
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);

    step = 'pause and resume';
    await page.click('#nav-list');
    await waitState(page, 'running');
    await card(page).locator('button[data-action=pause]').click();
    await waitState(page, 'paused', 15000);
    await shot(page, '06-paused');
    await card(page).locator('button[data-action=resume]').click();
    await waitState(page, 'running', 15000);
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);

    step = 'phone-sized screen';
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(1200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot(page, '07-phone');
    if (overflow > 2) throw new Error(`the page is ${overflow}px wider than a phone's screen`);
    await page.setViewportSize({ width: 1280, height: 860 });
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);

    step = 'force off and delete';
    await card(page).locator('button[data-action=off]').click();
    await waitState(page, 'stopped', 20000);
    page.once('dialog', (d) => d.accept());
    await card(page).locator('button[data-action=delete]').click();
    await page.waitForSelector(`#vm-${name}`, { state: 'detached', timeout: 10000 });
    await shot(page, '08-deleted');
    console.log(((Date.now() - T0) / 1000).toFixed(1) + 's ok ' + step);
  } catch (e) {
    console.log(`FAIL ${step}: ${e.message.split('\n')[0]}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
