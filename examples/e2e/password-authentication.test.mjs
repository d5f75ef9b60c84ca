import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, connect, closeAll, waitFor, recorder, unsubscribeReason } from './harness.mjs';

let app;
before(async () => { app = await startExample('password-authentication'); });
after(async () => {
	closeAll();
	await app?.stop();
});

test('the ticker is denied without login', async () => {
	const client = connect(app.wsURL);
	await assert.rejects(client.get('ticker.model'), { code: 'system.accessDenied' });
});

test('a wrong password is refused', async () => {
	const client = connect(app.wsURL);
	await assert.rejects(client.authenticate('passwd', 'login', { password: 'guess' }), { code: 'system.invalidParams' });
	await assert.rejects(client.authenticate('passwd', 'login', {}), { code: 'system.invalidParams' });
	await assert.rejects(client.get('ticker.model'), { code: 'system.accessDenied' });
});

test('login grants access, logout takes it away, and login gives it back', async () => {
	const client = connect(app.wsURL);
	const other = connect(app.wsURL);

	await client.authenticate('passwd', 'login', { password: 'secret' });
	const ticker = await client.get('ticker.model');
	assert.equal(typeof ticker.seconds, 'number');
	const changes = recorder(ticker, 'change');
	const unsubscribes = recorder(ticker, 'unsubscribe');
	const start = ticker.seconds;
	// ResClient updates the model before it delivers the event.
	await waitFor(() => ticker.seconds > start && changes.length > 0, 'the ticker to tick, with a change event');

	// The token belongs to one connection only.
	await assert.rejects(other.get('ticker.model'), { code: 'system.accessDenied' });

	await client.authenticate('passwd', 'logout');
	await waitFor(() => unsubscribes.length === 1, 'the gateway to unsubscribe the ticker');
	assert.equal(unsubscribeReason(client, 'ticker.model')?.code, 'system.accessDenied');

	await client.authenticate('passwd', 'login', { password: 'secret' });
	const again = await client.get('ticker.model');
	const seen = again.seconds;
	await waitFor(() => again.seconds > seen, 'the ticker to tick again after the second login');
});
