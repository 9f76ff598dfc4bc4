/* Internal: the signed provenance of an export (signature.c) and its check
 * (verify_export.c).  Not installed. */
#ifndef BA_CONSENT_SIGNATURE_H
#define BA_CONSENT_SIGNATURE_H

#include <json-glib/json-glib.h>

#include "beforeafter/consent.h"
#include "consent/export.h"

/* The detached signature over the exact bytes of export.json, base64. */
#define MANIFEST_SIG "export.json.sig"

/* The key pair of @library_dir, made when missing (see ba_consent_export_key());
 * the public key into @key.  Used by the export before anything is rendered. */
int ex_key_ensure(ba_catalog *cat, ba_export_key *key, ba_error *err);

/* Hash every rendered image in its temporary file: it must be the bytes the
 * render reported (it->out.sha256); its size goes to it->bytes. */
int ex_seal_images(job *j, ba_error *err);

/* The manifest's provenance members: "consents" (each relied on, with the
 * hash of its evidence) and "signature" (algorithm, public key, fingerprint). */
void ex_manifest_provenance(JsonBuilder *b, job *j);

/* One panel's photo: its original's hash, capture and session dates. */
void ex_manifest_panel(JsonBuilder *b, const ba_photo *ph);

/* Sign @text (the exact bytes of export.json) with the library's secret key
 * and place DEST/export.json.sig like the manifest (never replacing a file);
 * its path is added to j->placed. */
int ex_place_signature(job *j, const char *text, size_t len, ba_error *err);

/* The key's base64 and fingerprint from its 32 raw bytes. */
void ex_key_describe(ba_export_key *key);

#endif
