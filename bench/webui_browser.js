// SPDX-License-Identifier: GPL-2.0-or-later
// bench/webui.py's browser half: Debian's chromium via playwright-core.
//   node webui_browser.js load URL RUNS N    time from navigation to N VM cards shown, RUNS
//                                            fresh browser contexts (login included); one
//                                            JSON line {"load_ms": [...]}
//   node webui_browser.js watch URL SECONDS  keep the VM list (graphs) open that long; prints
//                                            {"pushes": K} (metrics frames received)
'use strict';
const { chromium } = require('playwright-core');

(async () => {
  const [mode, url, a, b] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox', '--disable-gpu'] });
  try {
    if (mode === 'load') {
      const runs = Number(a), n = Number(b), out = [];
      for (let i = 0; i < runs; i++) {
        const ctx = await browser.newContext({ bypassCSP: true });
        const page = await ctx.newPage();
        const t0 = Date.now();
        await page.goto(url);
        await page.waitForFunction((k) => document.querySelectorAll('#vm-list .card').length >= k, n,
                                   { timeout: 30000, polling: 5 });
        out.push(Date.now() - t0);
        await ctx.close();
      }
      console.log(JSON.stringify({ load_ms: out }));
    } else {
      const ctx = await browser.newContext({ bypassCSP: true });
      const page = await ctx.newPage();
      let pushes = 0;
      page.on('websocket', (ws) => { if (ws.url().endsWith('/ws/metrics')) ws.on('framereceived', () => { pushes++; }); });
      await page.goto(url);
      await page.waitForSelector('#vm-list .card', { timeout: 30000 });
      console.log(JSON.stringify({ ready: true }));
      await page.waitForTimeout(Number(a) * 1000);
      console.log(JSON.stringify({ pushes }));
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
})();
