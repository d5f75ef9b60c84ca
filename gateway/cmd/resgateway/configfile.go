package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// fileConfig is the config file, with Resgate's key names. A key left out
// keeps the default; a flag given on the command line wins over the file.
// An empty natsUrl starts the embedded NATS server.
type fileConfig struct {
	NATSURL           *string  `json:"natsUrl"`
	NATSCreds         *string  `json:"natsCreds"`
	NATSCert          *string  `json:"natsCert"`
	NATSKey           *string  `json:"natsKey"`
	NATSRootCAs       []string `json:"natsRootCAs"`
	Addr              *string  `json:"addr"`
	Port              *int     `json:"port"`
	MetricsPort       *int     `json:"metricsPort"`
	WSPath            *string  `json:"wsPath"`
	APIPath           *string  `json:"apiPath"`
	APIEncoding       *string  `json:"apiEncoding"`
	HeaderAuth        *string  `json:"headerAuth"`
	WSHeaderAuth      *string  `json:"wsHeaderAuth"`
	AllowOrigin       *string  `json:"allowOrigin"`
	PutMethod         *string  `json:"putMethod"`
	DeleteMethod      *string  `json:"deleteMethod"`
	PatchMethod       *string  `json:"patchMethod"`
	WSCompression     *bool    `json:"wsCompression"`
	ResetThrottle     *int     `json:"resetThrottle"`
	ReferenceThrottle *int     `json:"referenceThrottle"`
	RequestTimeout    *int     `json:"requestTimeout"`
	TLS               *bool    `json:"tls"`
	CertFile          *string  `json:"certFile"`
	KeyFile           *string  `json:"keyFile"`
	Debug             *bool    `json:"debug"`
	Trace             *bool    `json:"trace"`
	BufferSize        *int     `json:"bufferSize"`

	// Beyond Resgate.
	WSReadLimit      *int64  `json:"wsReadLimit"`
	MaxSubscriptions *int    `json:"maxSubscriptions"`
	LogFormat        *string `json:"logFormat"`
}

// defaultFileConfig returns the config file written when the file given
// with --config does not exist.
func defaultFileConfig(o *options) fileConfig {
	origin := strings.Join(o.allowOrigin, ";")
	if origin == "" {
		origin = "*"
	}
	return fileConfig{
		NATSURL: &o.nats, NATSCreds: &o.creds, NATSCert: &o.natsCert, NATSKey: &o.natsKey,
		NATSRootCAs: append([]string{}, o.natsRootCAs...),
		Addr:        &o.addr, Port: &o.port, MetricsPort: &o.metricsPort, WSPath: &o.wsPath, APIPath: &o.apiPath,
		APIEncoding: &o.apiEncoding, HeaderAuth: &o.headAuth, WSHeaderAuth: &o.wsHeadAuth,
		AllowOrigin: &origin, PutMethod: &o.putMethod, DeleteMethod: &o.deleteMethod,
		PatchMethod: &o.patchMethod, WSCompression: &o.wsCompression,
		ResetThrottle: &o.resetThrottle, ReferenceThrottle: &o.refThrottle,
		RequestTimeout: &o.reqTimeout, TLS: &o.tls, CertFile: &o.tlsCert, KeyFile: &o.tlsKey,
		Debug: &o.debug, Trace: &o.trace, BufferSize: &o.bufferSize,
		WSReadLimit: &o.wsReadLimit, MaxSubscriptions: &o.maxSubscriptions, LogFormat: &o.logFormat,
	}
}

// loadConfigFile reads the config file at path into o, leaving alone the
// settings whose flags were given (set holds their names). A file that does
// not exist is created with the current settings.
func loadConfigFile(path string, o *options, set map[string]bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, _ := json.MarshalIndent(defaultFileConfig(o), "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write config file: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	var fc fileConfig
	if err := json.Unmarshal(data, &fc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	given := func(names ...string) bool {
		for _, n := range names {
			if set[n] {
				return true
			}
		}
		return false
	}
	str := func(dst *string, v *string, names ...string) {
		if v != nil && !given(names...) {
			*dst = *v
		}
	}
	num := func(dst *int, v *int, names ...string) {
		if v != nil && !given(names...) {
			*dst = *v
		}
	}
	boolean := func(dst *bool, v *bool, names ...string) {
		if v != nil && !given(names...) {
			*dst = *v
		}
	}
	str(&o.nats, fc.NATSURL, "n", "nats")
	str(&o.creds, fc.NATSCreds, "creds")
	str(&o.natsCert, fc.NATSCert, "natscert")
	str(&o.natsKey, fc.NATSKey, "natskey")
	if fc.NATSRootCAs != nil && !given("natsrootca") {
		o.natsRootCAs = fc.NATSRootCAs
	}
	str(&o.addr, fc.Addr, "i", "addr")
	num(&o.port, fc.Port, "p", "port")
	num(&o.metricsPort, fc.MetricsPort, "m", "metricsport")
	str(&o.wsPath, fc.WSPath, "w", "wspath")
	str(&o.apiPath, fc.APIPath, "a", "apipath")
	str(&o.apiEncoding, fc.APIEncoding, "apiencoding")
	str(&o.headAuth, fc.HeaderAuth, "u", "headauth")
	str(&o.wsHeadAuth, fc.WSHeaderAuth, "t", "wsheadauth")
	if fc.AllowOrigin != nil && !given("alloworigin") {
		o.allowOrigin = splitOrigins(*fc.AllowOrigin)
	}
	str(&o.putMethod, fc.PutMethod, "putmethod")
	str(&o.deleteMethod, fc.DeleteMethod, "deletemethod")
	str(&o.patchMethod, fc.PatchMethod, "patchmethod")
	boolean(&o.wsCompression, fc.WSCompression, "wscompression")
	num(&o.resetThrottle, fc.ResetThrottle, "resetthrottle")
	num(&o.refThrottle, fc.ReferenceThrottle, "referencethrottle")
	num(&o.reqTimeout, fc.RequestTimeout, "r", "reqtimeout")
	boolean(&o.tls, fc.TLS, "tls")
	str(&o.tlsCert, fc.CertFile, "tlscert")
	str(&o.tlsKey, fc.KeyFile, "tlskey")
	boolean(&o.debug, fc.Debug, "D", "debug")
	boolean(&o.trace, fc.Trace, "V", "trace")
	num(&o.bufferSize, fc.BufferSize)
	if fc.WSReadLimit != nil && !given("wsreadlimit") {
		o.wsReadLimit = *fc.WSReadLimit
	}
	num(&o.maxSubscriptions, fc.MaxSubscriptions, "maxsubscriptions")
	str(&o.logFormat, fc.LogFormat, "logformat")
	return nil
}

// splitOrigins splits a ";"-separated list of origins.
func splitOrigins(v string) []string {
	var out []string
	for _, o := range strings.Split(v, ";") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
