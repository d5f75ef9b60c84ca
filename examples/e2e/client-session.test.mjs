import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, startGateway, connect, closeAll, waitFor, recorder, freePort, within, unsubscribeReason } from './harness.mjs';

let app;
before(async () => { app = await startExample('client-session'); });
after(async () => {
	closeAll();
	await app?.stop();
});

// sessionClient returns a client that, like the page, resumes the session
// of the relogin key in store.key each time it connects.
function sessionClient(wsURL, store) {
	const client = connect(wsURL);
	client.setOnConnect(() => {
		if (!store.key) return Promise.resolve();
		return client.authenticate('session', 'relogin', { reloginKey: store.key })
			.then(r => { store.key = r.reloginKey; })
			.catch(() => { store.key = null; });
	});
	return client;
}

test('a new connection is not logged in', async () => {
	const client = connect(app.wsURL);
	const user = await client.get('session.user.{cid}');
	assert.deepEqual({ id: user.id, name: user.name, role: user.role }, { id: null, name: null, role: null });
	await assert.rejects(client.get('ticker.model'), { code: 'system.accessDenied' });
	await assert.rejects(client.get('session.user.somebody-else'), { code: 'system.accessDenied' });
});

test('wrong logins and relogin keys are refused', async () => {
	const client = connect(app.wsURL);
	await assert.rejects(client.authenticate('session', 'login', { username: 'jane', password: 'john' }),
		{ code: 'session.wrongUsernamePassword' });
	await assert.rejects(client.authenticate('session', 'login', {}), { code: 'system.invalidParams' });
	await assert.rejects(client.authenticate('session', 'relogin', { reloginKey: 'made-up' }),
		{ code: 'session.invalidReloginKey' });
});

test('login shows the user, and a reload resumes the session', async () => {
	const store = {};
	const first = sessionClient(app.wsURL, store);
	const user = await first.get('session.user.{cid}');
	const result = await first.authenticate('session', 'login', { username: 'jane', password: 'jane' });
	assert.equal(typeof result.reloginKey, 'string');
	store.key = result.reloginKey;
	recorder(user, 'change'); // listening keeps it subscribed, as on the page
	await waitFor(() => user.name === 'Jane Doe', 'the user model to show Jane');
	assert.equal(user.role, 'user');
	const ticker = await first.get('ticker.model');
	assert.equal(typeof ticker.seconds, 'number');

	// A reload is a new connection with the stored key.
	first.disconnect();
	const second = sessionClient(app.wsURL, store);
	const user2 = await second.get('session.user.{cid}');
	recorder(user2, 'change');
	await waitFor(() => user2.name === 'Jane Doe', 'the reloaded page to show Jane');
	await second.get('ticker.model');
});

test('the session survives a gateway restart', async () => {
	const port = await freePort();
	let gw = await startGateway(app.natsURL, port);
	try {
		const store = {};
		const client = sessionClient(gw.wsURL, store);
		const user = await client.get('session.user.{cid}');
		recorder(user, 'change');
		store.key = (await client.authenticate('session', 'login', { username: 'john', password: 'john' })).reloginKey;
		await waitFor(() => user.name === 'John Doe', 'the user model to show John');
		// Listening keeps the ticker subscribed: ResClient reconnects
		// only for a client that has subscriptions.
		const ticker = await client.get('ticker.model');
		recorder(ticker, 'change');

		const reconnected = new Promise(resolve => client.on('connect', resolve));
		await gw.stop();
		gw = await startGateway(app.natsURL, port);
		await within(reconnected, 'the client to reconnect');

		// The client relogged in on its new connection: the ticker ticks
		// on, and the user model (now of the new connection) shows John.
		const seen = ticker.seconds;
		await waitFor(() => ticker.seconds > seen, 'the ticker to tick after the restart');
		const again = await client.get('session.user.{cid}');
		await waitFor(() => again.name === 'John Doe', 'the user model to show John after the restart');
	} finally {
		await gw.stop();
	}
});

test('logout ends the session on every connection', async () => {
	const store = {};
	const tab1 = sessionClient(app.wsURL, store);
	const user1 = await tab1.get('session.user.{cid}');
	recorder(user1, 'change');
	store.key = (await tab1.authenticate('session', 'login', { username: 'admin', password: 'admin' })).reloginKey;
	await waitFor(() => user1.role === 'admin', 'tab 1 to be logged in');

	// A second tab joins the same session.
	const tab2 = sessionClient(app.wsURL, store);
	const user2 = await tab2.get('session.user.{cid}');
	recorder(user2, 'change');
	await waitFor(() => user2.role === 'admin', 'tab 2 to join the session');
	const ticker2 = await tab2.get('ticker.model');
	const unsubscribed = recorder(ticker2, 'unsubscribe');

	const key = store.key;
	await tab1.authenticate('session', 'logout');

	// The gateway checked tab 2's token again (system.tokenReset): it
	// lost access and its user model is empty.
	await waitFor(() => user2.id === null, 'tab 2 to be logged out');
	await waitFor(() => unsubscribed.length === 1, 'tab 2 to lose the ticker');
	assert.equal(unsubscribeReason(tab2, 'ticker.model')?.code, 'system.accessDenied');
	assert.equal(user1.id, null);
	await assert.rejects(tab2.authenticate('session', 'relogin', { reloginKey: key }), { code: 'session.invalidReloginKey' });
});
