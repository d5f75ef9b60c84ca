// Browser tests: the example pages in headless Chromium. They need Debian's
// chromium at /usr/bin/chromium and are skipped without it. Screenshots of
// each page go to artifacts/screenshots at the root of the repository.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startExample, examplesDir, repoDir, patience } from './harness.mjs';

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const skip = fs.existsSync(chromiumPath) ? false : `no browser at ${chromiumPath}`;
const shots = path.join(repoDir, 'artifacts', 'screenshots');
const resClientFile = path.join(examplesDir, 'node_modules', 'resclient', 'dist', 'resclient.min.js');

let context;
let profile;
const apps = [];
const pageErrors = [];

before(async () => {
	if (skip) return;
	const { chromium } = await import('playwright-core');
	fs.mkdirSync(shots, { recursive: true });
	profile = fs.mkdtempSync(path.join(os.tmpdir(), 'res-examples-chromium-'));
	context = await chromium.launchPersistentContext(profile, {
		executablePath: chromiumPath,
		headless: true,
		viewport: { width: 1100, height: 760 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync']
	});
	context.setDefaultTimeout(patience);
	// There is no internet here: answer the page's CDN request for
	// ResClient (used when the example finds no local copy) with the local
	// file, and refuse any other request that leaves this machine.
	await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, route => {
		if (route.request().url().includes('/resclient')) {
			return route.fulfill({ path: resClientFile, contentType: 'text/javascript' });
		}
		return route.abort();
	});
});

after(async () => {
	await context?.close();
	if (profile) fs.rmSync(profile, { recursive: true, force: true });
	await Promise.all(apps.map(a => a.stop()));
});

async function open(name) {
	const app = await startExample(name);
	apps.push(app);
	return app;
}

async function newPage(url) {
	const page = await context.newPage();
	page.on('pageerror', err => pageErrors.push(`${url}: ${err.message}`));
	await page.goto(url);
	await page.locator('#status.online').waitFor();
	return page;
}

async function screenshot(page, name) {
	await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

test('book-collection: an edit in one tab appears in the other', { skip }, async () => {
	const app = await open('book-collection');
	const tab1 = await newPage(app.url);
	const tab2 = await newPage(app.url);
	const books1 = tab1.locator('#books .book');
	const books2 = tab2.locator('#books .book');
	await assert.doesNotReject(books1.nth(2).waitFor());
	assert.deepEqual(await tab2.locator('#books .title').allTextContents(), ['Animal Farm', 'Brave New World', 'Coraline']);

	// Edit the first book in tab 1.
	const first = books1.first();
	await first.locator('.edit-btn').click();
	await first.locator('.title-input').fill('Animal Farm: A Fairy Story');
	await first.locator('.ok-btn').click();
	await books2.first().locator('.title', { hasText: 'Animal Farm: A Fairy Story' }).waitFor();

	// Add a book in tab 2; it shows in tab 1.
	await tab2.locator('#new-title').fill('The Left Hand of Darkness');
	await tab2.locator('#new-author').fill('Ursula K. Le Guin');
	await tab2.locator('#add-new').click();
	await books1.nth(3).locator('.title', { hasText: 'The Left Hand of Darkness' }).waitFor();

	// An empty title is refused, with the service's message.
	await tab2.locator('#new-title').fill('');
	await tab2.locator('#new-author').fill('Nobody');
	await tab2.locator('#add-new').click();
	await tab2.locator('#error', { hasText: 'Title must not be empty' }).waitFor();

	await screenshot(tab1, 'book-collection');

	// Delete it in tab 1; it goes from tab 2.
	await books1.nth(3).locator('.delete-btn').click();
	await books2.nth(2).waitFor();
	await tab2.waitForFunction(() => document.querySelectorAll('#books .book').length === 3);
	await tab1.close();
	await tab2.close();
});

test('hello-world page', { skip }, async () => {
	const app = await open('hello-world');
	const page = await newPage(app.url);
	await page.locator('#message', { hasText: 'Hello, World!' }).waitFor();
	await screenshot(page, 'hello-world');
	await page.close();
});

test('hello-world page with ResClient from the CDN', { skip }, async () => {
	// Run from a folder with no node_modules near it: the page is sent to
	// the CDN for ResClient, which the browser context answers here.
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'res-examples-cwd-'));
	let app;
	try {
		app = await startExample('hello-world', [], { cwd: dir });
		assert.match(app.output(), /loads it from https:\/\/cdn\.jsdelivr\.net/);
		const cdnRequests = [];
		const page = await context.newPage();
		page.on('request', r => { if (r.url().startsWith('https://cdn.jsdelivr.net/')) cdnRequests.push(r.url()); });
		page.on('pageerror', err => pageErrors.push(`${app.url}: ${err.message}`));
		await page.goto(app.url);
		await page.locator('#message', { hasText: 'Hello, World!' }).waitFor();
		assert.deepEqual(cdnRequests, ['https://cdn.jsdelivr.net/npm/resclient@2.5.0/dist/resclient.min.js']);
		await page.close();
	} finally {
		await app?.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

test('edit-text page: typing in one tab shows in another', { skip }, async () => {
	const app = await open('edit-text');
	const tab1 = await newPage(app.url);
	const tab2 = await newPage(app.url);
	await tab1.locator('#message:not([disabled])').waitFor();
	await tab1.locator('#message').fill('Typed in the first tab');
	await tab2.waitForFunction(() => document.getElementById('message').value === 'Typed in the first tab');
	await screenshot(tab2, 'edit-text');
	await tab1.close();
	await tab2.close();
});

test('search-query page: search, and see a new customer appear', { skip }, async () => {
	const app = await open('search-query');
	const tab1 = await newPage(app.url);
	const tab2 = await newPage(app.url);
	await tab1.locator('#customers .customer').nth(24).waitFor();
	await tab2.locator('#search-country option[value="Sweden"]').waitFor({ state: 'attached' });

	await tab1.locator('#search-name').fill('zz');
	await tab1.locator('#search').click();
	await tab1.locator('#summary', { hasText: 'No customers match' }).waitFor();

	await tab2.locator('#new-customer').click();
	await tab2.locator('#edit-name').fill('Zzyzx Road');
	await tab2.locator('#edit-email').fill('zzyzx@example.com');
	await tab2.locator('#edit-country').selectOption('Sweden');
	await tab2.locator('#editor-save').click();

	await tab1.locator('#customers .customer .name', { hasText: 'Zzyzx Road' }).waitFor();
	await screenshot(tab1, 'search-query-live');
	await tab2.locator('#search').click();
	await screenshot(tab2, 'search-query');
	await tab1.close();
	await tab2.close();
});

test('password-authentication page: log in to see the counter', { skip }, async () => {
	const app = await open('password-authentication');
	const page = await newPage(app.url);
	await page.locator('#message', { hasText: 'Access denied' }).waitFor();
	await page.locator('#password').fill('wrong');
	await page.locator('#login').click();
	await page.locator('#error', { hasText: 'Wrong password' }).waitFor();
	await page.locator('#password').fill('secret');
	await page.locator('#login').click();
	await page.locator('#message', { hasText: 'Seconds since the service started' }).waitFor();
	await screenshot(page, 'password-authentication');
	await page.locator('#logout').click();
	await page.locator('#message', { hasText: 'Access denied' }).waitFor();
	await page.close();
});

test('jwt-authentication page: access follows the login cookie', { skip }, async () => {
	const app = await open('jwt-authentication');
	const page = await newPage(app.url);
	await page.locator('#who', { hasText: 'Not logged in' }).waitFor();
	await page.locator('#error', { hasText: /denied/i }).waitFor();
	await page.locator('#login-editor').click();
	await page.locator('#who', { hasText: 'Logged in as alice (editor)' }).waitFor();
	await page.locator('#message:not([disabled])').waitFor();
	assert.equal(await page.locator('#message').inputValue(), 'Hello, authenticated world!');
	await screenshot(page, 'jwt-authentication');
	await page.locator('#logout').click();
	await page.locator('#who', { hasText: 'Not logged in' }).waitFor();
	await page.close();
});

test('client-session page: the login survives a reload', { skip }, async () => {
	const app = await open('client-session');
	const page = await newPage(app.url);
	await page.locator('#login-panel:not([hidden])').waitFor();
	await page.locator('#username').fill('jane');
	await page.locator('#password').fill('jane');
	await page.locator('#login').click();
	await page.locator('#user-name', { hasText: 'Jane Doe' }).waitFor();
	await page.locator('#ticker', { hasText: 'Seconds since the service started' }).waitFor();

	await page.reload();
	await page.locator('#user-name', { hasText: 'Jane Doe' }).waitFor();
	await page.locator('#user-panel:not([hidden])').waitFor();
	await page.locator('#ticker', { hasText: 'Seconds since the service started' }).waitFor();
	await screenshot(page, 'client-session');

	await page.locator('#logout').click();
	await page.locator('#login-panel:not([hidden])').waitFor();
	await page.close();
});

test('no page had a script error', { skip }, () => {
	assert.deepEqual(pageErrors, []);
});
