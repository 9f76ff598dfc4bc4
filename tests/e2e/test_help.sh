#!/bin/sh
# help, the man page and the bash completion agree with the command table:
# every command has 'help CMD', a man page section with each of its --long
# options, and is completed; options and area names complete; and every
# error line has the one prefix "beforeafter: COMMAND: MESSAGE".
set -eu
. "$(dirname "$0")/lib.sh"

MAN=$BA_SOURCE_DIR/docs/beforeafter.1
COMP=$BA_SOURCE_DIR/completion/beforeafter.bash
[ -r "$MAN" ] || fail "no man page $MAN"
[ -r "$COMP" ] || fail "no completion $COMP"

run_ba help --commands
expect_rc "help --commands" 0
cp "$T/out" "$T/commands"
[ "$(nlines "$T/commands")" -ge 14 ] || fail "help --commands lists $(nlines "$T/commands") commands"
grep -qx ingest "$T/commands" || fail "help --commands has no ingest"

# help CMD = CMD --help, for every command; the man page has its section
# and every --long option its help shows.
nsub=0
man -l "$MAN" >/dev/null 2>"$T/manwarn" || fail "man cannot format the page: $(cat "$T/manwarn")"
while read -r cmd; do
    run_ba help "$cmd"
    expect_rc "help $cmd" 0
    grep -q "beforeafter $cmd" "$T/out" || fail "help $cmd does not show its usage: $(head -3 "$T/out")"
    mv "$T/out" "$T/help1"
    run_ba "$cmd" --help
    expect_rc "$cmd --help" 0
    cmp -s "$T/help1" "$T/out" || fail "help $cmd and $cmd --help differ"
    grep -qx ".SS $cmd" "$MAN" || fail "man page has no section for '$cmd' (run scripts/gen-man.py)"
    # The command's section: from its .SS to the next .SS or .SH.
    awk -v c=".SS $cmd" '$0==c{on=1;next} /^\.S[SH] /{on=0} on' "$MAN" | sed 's/\\-/-/g' >"$T/section"
    for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$T/help1" | sort -u); do
        case $opt in --help*) continue ;; esac
        grep -qF -- "$opt" "$T/section" ||
            fail "man page section '$cmd' lacks $opt (run scripts/gen-man.py)"
    done
    # A subcommand with a help of its own ("photo set --help") has its own
    # section "CMD SUB" with its options.
    subs=$(sed -n 's/^ *[^ ]* [^ ]* \[OPTION[^]]*\] *//p' "$T/help1" | head -n 1 | tr '|' '\n' |
        awk '$1 ~ /^[a-z][a-z-]*$/ {print $1}')
    for sub in $subs; do
        "$BA" "$cmd" "$sub" --help >"$T/subhelp" 2>/dev/null || continue
        cmp -s "$T/subhelp" "$T/help1" && continue
        grep -qxF ".SS \"$cmd $sub\"" "$MAN" || fail "man page has no section for '$cmd $sub' (run scripts/gen-man.py)"
        awk -v c=".SS \"$cmd $sub\"" '$0==c{on=1;next} /^\.S[SH] /{on=0} on' "$MAN" | sed 's/\\-/-/g' >"$T/section"
        for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$T/subhelp" | sort -u); do
            case $opt in --help*) continue ;; esac
            grep -qF -- "$opt" "$T/section" ||
                fail "man page section '$cmd $sub' lacks $opt (run scripts/gen-man.py)"
        done
        nsub=$((nsub + 1))
    done
done <"$T/commands"
ok "help CMD = CMD --help for $(nlines "$T/commands") commands; each has a man page section with its options ($nsub subcommands too)"

run_ba help no-such-command
expect_rc "help of an unknown command" 2
assert_contains "help unknown" "$T/err" "beforeafter: help: unknown command 'no-such-command'"

# The completion: sourcing it registers the function; it completes every
# command of the table, subcommands, options and area names.
bash -c ". '$COMP'; complete -p beforeafter" >"$T/complete" || fail "sourcing the completion failed"
assert_contains "complete -p" "$T/complete" "-F _beforeafter beforeafter"
LIB=$T/lib
new_library "$LIB" C-1
"$BA" --library "$LIB" -q area add knee-left >/dev/null
comp() {
    # comp CWORD WORD... : the completions of word CWORD
    bash -c '. "$1"; shift; COMP_CWORD=$1; shift; COMP_WORDS=("$@"); _beforeafter; printf "%s\n" "${COMPREPLY[@]}"' \
        sh "$COMP" "$@"
}
comp 1 "$BA" "" >"$T/c_all"
while read -r cmd; do
    grep -qx "$cmd" "$T/c_all" || fail "completion does not offer command '$cmd'"
done <"$T/commands"
comp 1 "$BA" "ing" >"$T/c"
assert_eq "completing 'ing'" "ingest" "$(cat "$T/c")"
comp 2 "$BA" consent "" >"$T/c"
assert_eq "consent subcommands" "grant list revoke" "$(sort "$T/c" | tr '\n' ' ' | sed 's/ $//')"
comp 2 "$BA" ingest --cli >"$T/c"
assert_eq "completing ingest --cli" "--client" "$(cat "$T/c")"
comp 3 "$BA" photo set --sta >"$T/c"
assert_eq "completing a subcommand's option (photo set --sta)" "--stage" "$(cat "$T/c")"
comp 5 "$BA" --library "$LIB" ingest --area "kne" >"$T/c"
assert_eq "completing an area name from the library" "knee-left" "$(cat "$T/c")"
comp 5 "$BA" --library "$LIB" list --client "" >"$T/c"
assert_eq "completing a client code" "C-1" "$(cat "$T/c")"
ok "completion: every command, subcommands, options, areas and clients of the library"

# One error prefix: "beforeafter: COMMAND: MESSAGE" for an unknown option, a
# missing value and a bad value, whichever command; never the program twice.
check_prefix() {
    what=$1
    shift
    run_ba "$@"
    expect_rc "$what" 2
    [ "$(nlines "$T/err")" = 1 ] || fail "$what: expected one error line, got: $(cat "$T/err")"
    line=$(cat "$T/err")
    case $line in
    "beforeafter: $cmd: "*) ;;
    *) fail "$what: expected 'beforeafter: $cmd: ...', got '$line'" ;;
    esac
    case $line in *"beforeafter: beforeafter"*) fail "$what: program named twice: $line" ;; esac
}
cmd=list check_prefix "unknown option" --library "$LIB" list --bogus
cmd=list check_prefix "missing value" --library "$LIB" list --from
cmd=compare check_prefix "bad integer" --library "$LIB" compare --width abc 1 2 -o "$T/x.png"
cmd=ingest check_prefix "missing --client" --library "$LIB" ingest --area forehead x.jpg
cmd=client check_prefix "unknown subcommand" --library "$LIB" client frobnicate
cmd=consent check_prefix "option twice" --library "$LIB" consent grant C-1 --scope education --scope marketing
cmd=batch check_prefix "batch unknown option" --library "$LIB" batch ingest --nope x.csv
run_ba --library "$LIB" frobnicate
expect_rc "unknown command" 2
assert_contains "unknown command" "$T/err" "beforeafter: unknown command 'frobnicate'"
ok "one error prefix 'beforeafter: COMMAND: MESSAGE' across commands"
