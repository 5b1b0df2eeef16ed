// Package delivery brings a finished artifact (an export today; compliance packages and
// scheduled reports later) to people, whatever produced it: email through SMTP or into
// an outbox folder, signed webhooks, and signed download links. The producer describes
// what finished in a Notice; this package knows nothing of exports or stores.
//
// # Targets
//
// ParseTarget / ParseTargets read notify_on_complete values ("email:ADDRESS",
// "webhook:URL") into Targets; errors are *keeptrail.Error EINVALID naming the field.
// Validate them when the request is made, so nothing is queued with a bad target.
//
// # Sending and recording (invariant N3)
//
// Mailer.Send and Webhook.Send try one target with bounded retries and return a Receipt
// or a *Error. The caller (the job that owns the delivery) records, per target: sent
// with Receipt.ID, or the Error() text as the last error. If IsPermanent(err), the
// delivery has failed for good: mark it so and tell someone (the requester, in the
// console and the audit log). Otherwise it may be tried again later by a durable job,
// no sooner than Error.RetryAfter; a retry produces the same Message-ID, outbox file and
// Keeptrail-Delivery id, so receivers recognise repeats.
//
// # Download links: the contract for the web and export code
//
// A notice's Link is built by the producer as
//
//	base + "/exports/" + id + "/download?" + signer.Sign("export/"+id, userID, expires)
//
// with the user the mail goes to (the requester) and an expiry (7 days suggested). The
// download handler must, in this order:
//
//  1. require a signed-in session (redirect to sign-in, then back to the same URL);
//  2. call signer.Verify("export/"+id, r.URL.Query()) with id from the path, never from
//     the query; answer its EFORBIDDEN error as 403;
//  3. check that the signed-in principal's user id equals LinkGrant.UserID (else 403:
//     a forwarded link is useless to anyone else);
//  4. authorise the principal for the artifact as the id-based download does (team
//     scope, role, user still active), find the file by id inside its folder, serve it
//     with Content-Disposition: attachment, and write the "export.downloaded" audit entry.
//
// A link thus never grants more than a signed-in download by id would; it only names
// the file and expires. The key comes from LoadOrCreateSecret(DATA_DIR/link.key), kept
// out of the database; replicas share it.
package delivery
