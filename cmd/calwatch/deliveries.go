package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO: replaced by the real command.
func newDeliveriesCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "deliveries", RunE: func(*cobra.Command, []string) error { return errors.New("not implemented yet") }}
}
