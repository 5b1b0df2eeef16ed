package main

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func (a *app) verifyCommand() *cobra.Command {
	var auditLog bool
	var pubkey string
	cmd := &cobra.Command{
		Use:   "verify --audit-log | verify BUNDLE.zip [--pubkey FILE]",
		Short: "Check the audit log's hash chain, or a compliance package offline",
		Long: `With --audit-log, walk every audit entry and check the sequence has no gaps, each entry's
hash covers its content and the previous hash, and every signed checkpoint matches the log
(which also reveals a truncated tail). Prints OK with the range checked, or each problem with
its sequence number, and exits with status 1 if there is any. After a clean check a new
checkpoint of the head is signed when the signing key is available.

With a compliance package (BUNDLE.zip), check offline that manifest.sig is a valid signature
of manifest.json by the package signing key (--pubkey: a minisign public key file, its
base64 line, or PEM; default the data folder's keys/package-signing.key.pub), that every
file has the size and SHA-256 the manifest gives, and that no file is missing or extra.
Prints OK, or each problem naming the file, and exits with status 1 if there is any.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if auditLog {
					return usageError("verify: either --audit-log or a bundle, not both")
				}
				return a.verifyBundle(args[0], pubkey)
			}
			if !auditLog {
				return usageError("verify: say what to verify: --audit-log, or a BUNDLE.zip")
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *sqlstore.DB) error {
				var err error
				var pub ed25519.PublicKey
				var signer *auditlog.Signer
				if pubkey != "" {
					if pub, err = auditlog.LoadPublicKey(pubkey); err != nil {
						return usageError("--pubkey: %v", err)
					}
				} else {
					if signer, err = a.signer(); err != nil {
						return fmt.Errorf("audit checkpoint key: %w", err)
					}
					pub = signer.PublicKey()
				}
				rep, err := auditlog.Verify(ctx, db, pub)
				if err != nil {
					return err
				}
				signed := false
				if rep.OK && signer != nil && rep.Entries > 0 {
					if _, err := auditlog.Checkpoint(ctx, db, signer); err != nil {
						return fmt.Errorf("sign checkpoint: %w", err)
					}
					signed = true
				}
				if a.jsonOut {
					if err := a.printJSON(map[string]any{"report": rep, "checkpoint_signed": signed}); err != nil {
						return err
					}
				} else if rep.OK {
					a.printf("OK: audit log entries %d to %d verified (%d entries, %d signed checkpoints)\n",
						rep.From, rep.To, rep.Entries, rep.Checkpoints)
				} else {
					a.printf("FAILED: audit log entries %d to %d checked, %s\n", rep.From, rep.To, plural(len(rep.Problems), "problem"))
					for _, p := range rep.Problems {
						a.printf("  %s\n", p.What)
					}
				}
				if !rep.OK {
					return &exitError{code: 1, msg: fmt.Sprintf("audit log verification failed: %s", rep.Problems[0].What)}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&auditLog, "audit-log", false, "verify the audit log")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "public key file to check checkpoint or package signatures with (default: the data folder's key)")
	return cmd
}

// verifyBundle checks a compliance package file with the public key at pubkey (the data
// folder's package key when empty).
func (a *app) verifyBundle(path, pubkey string) error {
	if pubkey == "" {
		pubkey = a.packageKeyPath() + ".pub"
	}
	pub, err := evidence.LoadPublicKey(pubkey)
	if err != nil {
		return usageError("--pubkey: %v", err)
	}
	rep, err := evidence.VerifyBundleFile(path, pub)
	if err != nil {
		return err
	}
	if a.jsonOut {
		if err := a.printJSON(map[string]any{"report": rep}); err != nil {
			return err
		}
	} else if rep.OK {
		a.printf("OK: %s verified: signature by key %s, %s with matching SHA-256, none missing or extra\n",
			path, rep.KeyID, plural(rep.FilesChecked, "file"))
	} else {
		a.printf("FAILED: %s: %s\n", path, plural(len(rep.Problems), "problem"))
		for _, p := range rep.Problems {
			a.printf("  %s\n", p.String())
		}
	}
	if !rep.OK {
		return &exitError{code: 1, msg: fmt.Sprintf("bundle verification failed: %s", rep.Problems[0].String())}
	}
	return nil
}
