// Helpers shared by the example pages. They need the resclient script and
// /_app/config.js to be loaded first.
(function () {
	'use strict';
	var config = window.resExample || {};

	// gatewayURL returns the WebSocket URL of the RES gateway: the one
	// configured by the example, or else the server that served the page.
	function gatewayURL() {
		if (config.gateway) {
			return config.gateway;
		}
		var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
		return scheme + location.host + '/';
	}

	// newClient returns a ResClient connected to the gateway, and keeps the
	// page header's connection status up to date.
	function newClient() {
		var client = new resclient.default(gatewayURL());
		client.on('connect', function () { setStatus(true); });
		client.on('disconnect', function () { setStatus(false); });
		return client;
	}

	function setStatus(online) {
		var el = document.getElementById('status');
		if (!el) return;
		el.textContent = online ? 'connected' : 'disconnected';
		el.className = 'status ' + (online ? 'online' : 'offline');
	}

	// errorText turns a ResClient error into a message for a person.
	function errorText(err) {
		if (err && err.code === 'system.connectionError') {
			return 'Cannot reach the gateway at ' + gatewayURL() + '. Is the example running?';
		}
		if (err && err.message) return err.message;
		return String(err);
	}

	// h builds an element: h('button', {className: 'primary', onclick: f}, 'OK').
	function h(tag, props) {
		var el = document.createElement(tag);
		var p = props || {};
		Object.keys(p).forEach(function (k) {
			if (k === 'dataset') {
				Object.assign(el.dataset, p[k]);
			} else if (k.startsWith('on')) {
				el.addEventListener(k.slice(2), p[k]);
			} else {
				el[k] = p[k];
			}
		});
		for (var i = 2; i < arguments.length; i++) {
			var c = arguments[i];
			if (c === null || c === undefined) continue;
			el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		}
		return el;
	}

	// showError shows err in the element with ID id, and clears it after a
	// while.
	var timers = {};
	function showError(id, err) {
		var el = document.getElementById(id);
		if (!el) return;
		el.textContent = err ? errorText(err) : '';
		clearTimeout(timers[id]);
		if (err) {
			timers[id] = setTimeout(function () { el.textContent = ''; }, 8000);
		}
	}

	window.example = {
		gatewayURL: gatewayURL,
		newClient: newClient,
		errorText: errorText,
		showError: showError,
		h: h
	};
})();
