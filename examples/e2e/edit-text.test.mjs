import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, startGateway, connect, closeAll, waitFor, recorder, freePort, within } from './harness.mjs';

let app;
before(async () => { app = await startExample('edit-text'); });
after(async () => {
	closeAll();
	await app?.stop();
});

test('a set by one client reaches the other as a change event', async () => {
	const alice = connect(app.wsURL);
	const bob = connect(app.wsURL);
	const a = await alice.get('text.shared');
	const b = await bob.get('text.shared');
	const changes = recorder(b, 'change');

	await a.set({ message: 'Typed by Alice' });

	await waitFor(() => changes.length > 0, 'a change event at Bob');
	assert.deepEqual(changes[0], { message: 'Hello, edit me!' }, 'the event gives the old value');
	assert.equal(b.message, 'Typed by Alice');
	assert.equal(a.message, 'Typed by Alice');
});

test('set with a message that is not a string is invalid', async () => {
	const client = connect(app.wsURL);
	const m = await client.get('text.shared');
	await assert.rejects(m.set({ message: 42 }), { code: 'system.invalidParams' });
});

test('a client catches up after its gateway restarts, with changes made meanwhile', async () => {
	// A separate gateway on the example's NATS server, which can be
	// restarted while the example (and its own gateway) keeps running.
	const port = await freePort();
	let gw = await startGateway(app.natsURL, port);
	try {
		const carol = connect(gw.wsURL);
		const c = await carol.get('text.shared');
		const changes = recorder(c, 'change');
		const disconnected = new Promise(resolve => carol.on('disconnect', resolve));
		const reconnected = new Promise(resolve => carol.on('connect', resolve));

		await gw.stop();
		await within(disconnected, 'the client to notice the gateway is gone');

		// Someone else changes the text while Carol's gateway is down.
		const dave = connect(app.wsURL);
		const d = await dave.get('text.shared');
		await d.set({ message: 'Changed while Carol was away' });

		gw = await startGateway(app.natsURL, port);
		await within(reconnected, 'the client to reconnect');
		// ResClient updates the model before it delivers the event.
		await waitFor(() => c.message === 'Changed while Carol was away' && changes.length > 0,
			'Carol to see the new text, with a change event');
	} finally {
		await gw.stop();
	}
});

test('with --nats, the example runs only its service, behind another gateway', async () => {
	// hello-world's service joins edit-text's NATS server, and is reached
	// through edit-text's gateway.
	const svc = await startExample('hello-world', ['--nats', app.natsURL]);
	try {
		assert.match(svc.output(), /the page connects to the gateway at ws:\/\/localhost:8080/);
		const client = connect(app.wsURL);
		const model = await client.get('example.model');
		assert.equal(model.message, 'Hello, World!');

		const cfg = await fetch(svc.url + '/_app/config.js');
		assert.match(await cfg.text(), /"gateway":"ws:\/\/localhost:8080"/);
		const api = await fetch(svc.url + '/api/example/model');
		assert.equal(api.status, 404, 'no gateway on the service-only server');
	} finally {
		await svc.stop();
	}
});

test('the example stops cleanly when asked to', async () => {
	const other = await startExample('edit-text');
	const { code, signal } = await other.stop();
	assert.equal(signal, null, 'exited by itself, not killed');
	assert.equal(code, 0);
});
