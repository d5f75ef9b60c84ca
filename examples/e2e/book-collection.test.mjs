import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startExample, connect, closeAll, waitFor, recorder } from './harness.mjs';

let app;
before(async () => { app = await startExample('book-collection'); });
after(async () => {
	closeAll();
	await app?.stop();
});

const titles = books => books.toArray().map(b => b.title);

test('a client gets the collection with its book models', async () => {
	const client = connect(app.wsURL);
	const books = await client.get('library.books');
	assert.deepEqual(titles(books), ['Animal Farm', 'Brave New World', 'Coraline']);
	const first = books.toArray()[0];
	assert.equal(first.getResourceId(), 'library.book.1');
	assert.deepEqual({ id: first.id, title: first.title, author: first.author },
		{ id: 1, title: 'Animal Farm', author: 'George Orwell' });
});

test('new, set and delete reach every client as events', async () => {
	const alice = connect(app.wsURL);
	const bob = connect(app.wsURL);
	const aBooks = await alice.get('library.books');
	const bBooks = await bob.get('library.books');
	const adds = recorder(bBooks, 'add');
	const removes = recorder(bBooks, 'remove');
	const before = bBooks.length;

	// new answers with the new book itself: a resource response.
	const book = await alice.call('library.books', 'new', { title: 'Dune', author: 'Frank Herbert' });
	assert.equal(book.title, 'Dune');
	assert.equal(book.author, 'Frank Herbert');
	assert.match(book.getResourceId(), /^library\.book\.\d+$/);

	await waitFor(() => adds.length === 1, 'an add event at Bob');
	assert.equal(adds[0].idx, before);
	assert.equal(adds[0].item.title, 'Dune');
	assert.equal(bBooks.length, before + 1);

	// set on the book: Bob's copy of the model changes.
	const bBook = bBooks.toArray()[before];
	const changes = recorder(bBook, 'change');
	await book.set({ title: 'Dune Messiah' });
	await waitFor(() => changes.length === 1, 'a change event at Bob');
	assert.deepEqual(changes[0], { title: 'Dune' });
	assert.equal(bBook.title, 'Dune Messiah');
	assert.equal(bBook.author, 'Frank Herbert');

	// delete: removed from both collections.
	await aBooks.call('delete', { id: book.id });
	await waitFor(() => removes.length === 1, 'a remove event at Bob');
	assert.equal(removes[0].idx, before);
	assert.equal(bBooks.length, before);
	assert.ok(!titles(aBooks).includes('Dune Messiah'));
});

test('titles and authors must not be empty', async (t) => {
	const client = connect(app.wsURL);
	const books = await client.get('library.books');
	const book = books.toArray()[0];
	const cases = [
		['new without a title', () => client.call('library.books', 'new', { title: '', author: 'Someone' })],
		['new without an author', () => client.call('library.books', 'new', { title: 'Something' })],
		['new with a blank title', () => client.call('library.books', 'new', { title: '   ', author: 'Someone' })],
		['set to an empty title', () => book.set({ title: '' })],
		['set to an empty author', () => book.set({ author: ' ' })],
		['set with a title that is not a string', () => book.set({ title: 7 })],
		['delete without an id', () => books.call('delete', {})],
		['delete with an id that is not a number', () => books.call('delete', { id: 'one' })]
	];
	for (const [name, call] of cases) {
		await t.test(name, async () => {
			await assert.rejects(call(), { code: 'system.invalidParams' });
		});
	}
	assert.equal(book.title, 'Animal Farm', 'nothing changed');
});

test('a book that does not exist is not found', async () => {
	const client = connect(app.wsURL);
	await assert.rejects(client.get('library.book.999'), { code: 'system.notFound' });
	await assert.rejects(client.call('library.book.999', 'set', { title: 'X' }), { code: 'system.notFound' });
});

test('the HTTP API lists and changes books', async () => {
	const res = await fetch(app.url + '/api/library/book/2/set', {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ author: 'A. Huxley' })
	});
	assert.ok(res.ok, `set answered ${res.status}`);
	const book = await (await fetch(app.url + '/api/library/book/2')).json();
	assert.deepEqual(book, { id: 2, title: 'Brave New World', author: 'A. Huxley' });
});
