// Package resprot holds the RES protocol's wire format as Go types: the
// payloads that services and gateways exchange over NATS, resource-ID rules,
// values (references, soft references, data values, delete actions), error
// codes and events.
//
// It is shared by the service SDK (package res), its test kit (restest) and
// the gateway, so the wire format is written down once. It also has helpers
// for a service that wants to request another service over NATS and read its
// result, error or resource reply.
//
// The protocol is specified in the RES protocol documents of the Resgate
// project; ProtocolVersion is the version implemented here.
package resprot

// ProtocolVersion is the RES protocol version this module implements.
const ProtocolVersion = "1.2.3"
