import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, connect, closeAll, waitFor, recorder } from './harness.mjs';

let app;
before(async () => { app = await startExample('jwt-authentication'); });
after(async () => {
	closeAll();
	await app?.stop();
});

// login asks the example's web server for a token cookie, as the page's
// login link does, and returns it as a Cookie header value.
async function login(user, role) {
	const res = await fetch(`${app.url}/login?user=${user}&role=${role}`, { redirect: 'manual' });
	assert.equal(res.status, 303);
	const cookie = res.headers.get('set-cookie');
	assert.match(cookie, /^access-token=[^;]+/);
	assert.match(cookie, /HttpOnly/);
	return cookie.split(';')[0];
}

test('without a token, access is denied', async () => {
	const client = connect(app.wsURL);
	await assert.rejects(client.get('example.model'), { code: 'system.accessDenied' });
	await assert.rejects(client.authenticate('auth', 'jwtHeader'), { code: 'system.invalidParams' });

	const res = await fetch(app.url + '/api/example/model');
	assert.equal(res.status, 401, 'over HTTP too');
});

test('a bad token is refused', async () => {
	const client = connect(app.wsURL, { headers: { Cookie: 'access-token=not.a.token' } });
	await assert.rejects(client.authenticate('auth', 'jwtHeader'), { code: 'system.invalidParams' });
	await assert.rejects(client.get('example.model'), { code: 'system.accessDenied' });
});

test('an editor reads and changes the model, and a viewer sees the change', async () => {
	const editor = connect(app.wsURL, { headers: { Cookie: await login('alice', 'editor') } });
	const viewer = connect(app.wsURL, { headers: { Cookie: await login('bob', 'viewer') } });
	// The gateway authenticates each WebSocket from its upgrade headers;
	// calling the auth method as well, as the page does, is harmless.
	await editor.authenticate('auth', 'jwtHeader');

	const e = await editor.get('example.model');
	const v = await viewer.get('example.model');
	const changes = recorder(v, 'change');

	await e.set({ message: 'Edited by an editor' });
	await waitFor(() => changes.length === 1, 'a change event at the viewer');
	assert.equal(v.message, 'Edited by an editor');

	// A viewer may not call set.
	await assert.rejects(v.set({ message: 'Edited by a viewer' }), { code: 'system.accessDenied' });
	assert.equal(e.message, 'Edited by an editor');
});

test('the HTTP API uses the same cookie', async () => {
	const cookie = await login('carol', 'editor');
	const who = await fetch(app.url + '/whoami', { headers: { Cookie: cookie } });
	assert.deepEqual(await who.json(), { user: 'carol', role: 'editor' });

	const set = await fetch(app.url + '/api/example/model/set', {
		method: 'POST',
		headers: { Cookie: cookie, 'Content-Type': 'application/json' },
		body: JSON.stringify({ message: 'Edited over HTTP' })
	});
	assert.ok(set.ok, `set answered ${set.status}`);
	const res = await fetch(app.url + '/api/example/model', { headers: { Cookie: cookie } });
	assert.equal(res.status, 200);
	assert.deepEqual(await res.json(), { message: 'Edited over HTTP' });
});

test('logout clears the cookie', async () => {
	const res = await fetch(app.url + '/logout', { redirect: 'manual' });
	assert.equal(res.status, 303);
	assert.match(res.headers.get('set-cookie'), /^access-token=;.*Max-Age=0/);
});
