package main

import (
	"errors"
	"log/slog"

	"github.com/wxmaterial/wxmaterial/material"
)

// errNoClients is returned until the officialaccount and work packages are
// merged into this branch.
var errNoClients = errors.New("this build has no platform clients yet (officialaccount and work are not merged)")

// newClient builds the client of acc's platform. It is the only place that
// knows the concrete client packages; everything else uses the material
// interfaces.
func newClient(acc account, log *slog.Logger) (material.Service, error) {
	return nil, errNoClients
}
