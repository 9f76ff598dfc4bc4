#!/bin/sh
# Accounts of the server from the CLI: the password never on argv (only a
# prompt or --password-stdin), 12 characters at least, argon2id in the
# catalog, names unique whatever their case, roles and disabling audited with
# the operating-system user as actor.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
new_library "$L"
PW='a long clinic passphrase'

printf '%s\n' "$PW" >"$T/pw"
run_ba --library "$L" --json user add dr.ann --role provider --password-stdin <"$T/pw"
expect_rc "user add" 0
assert_eq "user add: role" provider "$(json_field role <"$T/out")"
assert_eq "user add: name" dr.ann "$(json_field user <"$T/out")"
assert_eq "users rows" 1 "$(rows "$L" users)"
hash=$(sqlite3 "$L/catalog.db" "SELECT password_hash FROM users")
case "$hash" in '$argon2id$'*) ;; *) fail "password not stored as argon2id: $hash" ;; esac
if grep -aqF "$PW" "$L/catalog.db" "$L"/catalog.db-wal 2>/dev/null; then
    fail "the password is in the catalog file"
fi
ok "user add stores an argon2id hash only"

# The password may not come on argv.
run_ba --library "$L" user add eve --role admin --password "$PW"
expect_rc "--password on argv" 2
assert_eq "argv password: no user" 1 "$(rows "$L" users)"

# Too short, the same name in another case, an unknown role, no stdin line.
printf 'eleven char\n' >"$T/short"
run_ba --library "$L" user add bob --role provider --password-stdin <"$T/short"
expect_rc "short password" 2
assert_contains "short password: says why" "$T/err" "shorter than 12 characters"
run_ba --library "$L" user add DR.ANN --role admin --password-stdin <"$T/pw"
expect_rc "same name, other case" 2
assert_contains "same name: names the existing" "$T/err" "already exists as dr.ann"
run_ba --library "$L" user add bob --role owner --password-stdin <"$T/pw"
expect_rc "unknown role" 2
run_ba --library "$L" user add bob --role provider --password-stdin </dev/null
expect_rc "no password on stdin" 2
assert_eq "refusals add no user" 1 "$(rows "$L" users)"
ok "refusals: short, duplicate, role, no password"

# Roles and disabling, listed and audited with the OS user as actor.
ba --library "$L" user role dr.ann marketing
run_ba --library "$L" --json user list
expect_rc "user list" 0
assert_eq "role changed" marketing "$(json_field role <"$T/out")"
ba --library "$L" user disable dr.ann
run_ba --library "$L" user disable dr.ann
expect_rc "disable twice" 2
run_ba --library "$L" --json user list
assert_contains "disabled listed" "$T/out" '"disabled_at":"'
printf 'another long passphrase\n' >"$T/pw2"
ba --library "$L" user passwd dr.ann --password-stdin <"$T/pw2"
run_ba --library "$L" user passwd nobody --password-stdin <"$T/pw2"
expect_rc "passwd unknown user" 2
me=$(id -un)
actors=$(sqlite3 "$L/catalog.db" "SELECT DISTINCT actor FROM audit_log WHERE action LIKE 'user-%'")
assert_eq "audit actor is the OS user" "$me" "$actors"
assert_eq "audit rows" "user-add user-role user-disable user-passwd" \
    "$(sqlite3 "$L/catalog.db" "SELECT action FROM audit_log WHERE action LIKE 'user-%' ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
if sqlite3 "$L/catalog.db" "SELECT detail FROM audit_log" | grep -qF "passphrase"; then
    fail "a password reached the audit log"
fi
run_ba --library "$L" verify
expect_rc "verify after user changes" 0
ok "role, disable, passwd audited; verify clean"
