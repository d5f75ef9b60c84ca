// Package res is a toolkit for writing services that serve realtime
// resources over the RES protocol.
package res
