import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, connect, closeAll } from './harness.mjs';

let app;
before(async () => { app = await startExample('hello-world'); });
after(async () => {
	closeAll();
	await app?.stop();
});

test('a client gets example.model through the gateway', async () => {
	const client = connect(app.wsURL);
	const model = await client.get('example.model');
	assert.equal(model.message, 'Hello, World!');
});

test('the HTTP API serves example.model', async () => {
	const res = await fetch(app.url + '/api/example/model');
	assert.equal(res.status, 200);
	assert.deepEqual(await res.json(), { message: 'Hello, World!' });
});

test('the web page and its scripts are served', async () => {
	const page = await fetch(app.url + '/');
	assert.equal(page.status, 200);
	assert.match(await page.text(), /example\.model/);

	const rc = await fetch(app.url + '/_app/resclient.js');
	assert.equal(rc.status, 200);
	assert.match(rc.headers.get('content-type'), /javascript/);
	assert.match(await rc.text(), /resclient/);

	const cfg = await fetch(app.url + '/_app/config.js');
	assert.equal(await cfg.text(), 'window.resExample = {"gateway":""};\n');
});
