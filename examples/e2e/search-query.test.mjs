import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, connect, closeAll, waitFor, recorder } from './harness.mjs';

let app;
before(async () => { app = await startExample('search-query'); });
after(async () => {
	closeAll();
	await app?.stop();
});

const rid = ({ name = '', country = '', from = 0, limit = 25 } = {}) =>
	'search.customers?' + new URLSearchParams({ name, country, from: String(from), limit: String(limit) });
const names = list => list.toArray().map(c => c.name);
const sortedByName = a => a.every((n, i) => i === 0 || a[i - 1].toLowerCase() <= n.toLowerCase());

test('the countries list', async () => {
	const client = connect(app.wsURL);
	const countries = await client.get('search.countries');
	assert.ok(countries.length >= 10, `only ${countries.length} countries`);
	assert.ok(countries.toArray().includes('Sweden'));
});

test('a search gives a page of customers sorted by name', async () => {
	const client = connect(app.wsURL);
	const page1 = await client.get(rid());
	const page2 = await client.get(rid({ from: 25 }));
	assert.equal(page1.length, 25);
	assert.equal(page2.length, 25);
	const all = [...names(page1), ...names(page2)];
	assert.ok(sortedByName(all), 'sorted across pages: ' + all.join(', '));
	const c = page1.toArray()[0];
	assert.match(c.getResourceId(), /^search\.customer\.\d+$/);
	assert.equal(typeof c.email, 'string');
	assert.equal(typeof c.country, 'string');
});

test('a search filters by name prefix and country', async () => {
	const client = connect(app.wsURL);
	const list = await client.get(rid({ name: 'ma', country: 'Sweden', limit: 50 }));
	assert.ok(list.length > 0, 'some Swedish customers whose names start with "ma"');
	for (const c of list.toArray()) {
		assert.match(c.name, /^ma/i);
		assert.equal(c.country, 'Sweden');
	}
});

test('an invalid query is refused', async () => {
	const client = connect(app.wsURL);
	await assert.rejects(client.get(rid({ limit: 500 })), { code: 'system.invalidQuery' });
	await assert.rejects(client.get('search.customers?from=-1'), { code: 'system.invalidQuery' });
});

test('search results follow edits made by another client', async () => {
	const alice = connect(app.wsURL);
	const bob = connect(app.wsURL);
	// Bob searches for Swedish customers named Quentin: there are none yet.
	const results = await bob.get(rid({ name: 'quentin', country: 'Sweden' }));
	assert.equal(results.length, 0);
	const adds = recorder(results, 'add');
	const removes = recorder(results, 'remove');

	// Alice adds one from Norway: not in Bob's search.
	const q = await alice.call('search.customers', 'newCustomer', { name: 'Quentin Blake', email: 'qb@example.com', country: 'Norway' });
	assert.equal(q.name, 'Quentin Blake');

	// She moves him to Sweden: now it is.
	await q.set({ country: 'Sweden' });
	await waitFor(() => adds.length === 1, 'the customer to join Bob\'s search');
	assert.deepEqual(names(results), ['Quentin Blake']);
	assert.equal(adds[0].item.getResourceId(), q.getResourceId());

	// A second match sorts before him.
	const q2 = await alice.call('search.customers', 'newCustomer', { name: 'Quentin Adams', email: '', country: 'Sweden' });
	await waitFor(() => adds.length === 2, 'the second customer to join');
	assert.deepEqual(names(results), ['Quentin Adams', 'Quentin Blake']);

	// Renamed so that he no longer matches: he leaves the search.
	await q.set({ name: 'Roald Dahl' });
	await waitFor(() => removes.length === 1, 'the renamed customer to leave');
	assert.deepEqual(names(results), ['Quentin Adams']);

	// Deleted: the last one leaves too.
	await q2.call('delete');
	await waitFor(() => removes.length === 2, 'the deleted customer to leave');
	assert.equal(results.length, 0);
	await assert.rejects(alice.get(q2.getResourceId()), { code: 'system.notFound' });
});

test('customer values are checked', async (t) => {
	const client = connect(app.wsURL);
	const list = await client.get(rid({ limit: 1 }));
	const c = list.toArray()[0];
	const cases = [
		['new without a name', () => client.call('search.customers', 'newCustomer', { name: ' ', country: 'Sweden' })],
		['new with an unknown country', () => client.call('search.customers', 'newCustomer', { name: 'X', country: 'Atlantis' })],
		['new with a bad email', () => client.call('search.customers', 'newCustomer', { name: 'X', email: 'nope' })],
		['set an empty name', () => c.set({ name: '' })],
		['set a name that is not a string', () => c.set({ name: 5 })]
	];
	for (const [name, call] of cases) {
		await t.test(name, async () => {
			await assert.rejects(call(), { code: 'system.invalidParams' });
		});
	}
});
