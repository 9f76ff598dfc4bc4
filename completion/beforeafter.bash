# bash completion for beforeafter                          -*- shell-script -*-
#
# Installed to share/bash-completion/completions/beforeafter.  Everything is
# asked of the program itself, so the completion stays true to it:
#   commands     'beforeafter help --commands' (the command table)
#   subcommands  the lowercase words that start the alternatives of the
#                command's usage line ("add CODE | list")
#   options      the --long options of 'beforeafter COMMAND --help'
#   values       --area: 'beforeafter area list'; --client: 'beforeafter
#                client list'; --stage, --view, --scope, --purpose, --layout,
#                --label-style, --deidentify, --format, --preset, --rules, --roi: their
#                fixed words;
#                file options: file names.

_beforeafter_words()
{
    # The program as typed (a path in tests), with the --library given.
    local prog=$1
    shift
    "$prog" ${_beforeafter_lib:+--library "$_beforeafter_lib"} "$@" 2>/dev/null
}

_beforeafter()
{
    local cur prev prog cmd="" i w
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    prog=${COMP_WORDS[0]}
    _beforeafter_lib=""
    # The command is the first word that is neither an option nor the value
    # of --library (as the program itself reads its command line).
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --library) _beforeafter_lib=${COMP_WORDS[i + 1]}; ((i++)) ;;
        --library=*) _beforeafter_lib=${w#--library=} ;;
        -*) ;;
        *) if [[ -z $cmd ]]; then cmd=$w; fi ;;
        esac
    done

    case $prev in
    --library | --to | --out | --evidence | --logo | --report | -o | --output)
        if [[ $prev == --library || $prev == --out || ($prev == --to && $cmd == export) ]]; then
            COMPREPLY=($(compgen -d -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return 0
        ;;
    --area)
        COMPREPLY=($(compgen -W "$(_beforeafter_words "$prog" area list | awk '{print $1}')" -- "$cur"))
        return 0
        ;;
    --client)
        COMPREPLY=($(compgen -W "$(_beforeafter_words "$prog" client list | awk '{print $1}')" -- "$cur"))
        return 0
        ;;
    --stage) COMPREPLY=($(compgen -W "before after progress" -- "$cur")); return 0 ;;
    --view) COMPREPLY=($(compgen -W "frontal left-45 right-45 left-90 right-90 other" -- "$cur")); return 0 ;;
    --scope | --purpose) COMPREPLY=($(compgen -W "clinical education marketing" -- "$cur")); return 0 ;;
    --label-style) COMPREPLY=($(compgen -W "none stage date full" -- "$cur")); return 0 ;;
    --deidentify) COMPREPLY=($(compgen -W "eyes half-letterbox blur-face crop-to-area blur-outside" -- "$cur")); return 0 ;;
    --format) COMPREPLY=($(compgen -W "png jpg webp" -- "$cur")); return 0 ;;
    --preset) COMPREPLY=($(compgen -W "square portrait story" -- "$cur")); return 0 ;;
    --rules) COMPREPLY=($(compgen -W "uk au us none" -- "$cur")); return 0 ;;
    --roi) COMPREPLY=($(compgen -W "face" -- "$cur")); return 0 ;;
    --layout)
        if [[ $cmd == compare || $cmd == batch ]]; then
            COMPREPLY=($(compgen -W "side-by-side stacked timeline" -- "$cur"))
        fi
        return 0
        ;;
    esac

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--library --json --quiet --verbose --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_beforeafter_words "$prog" help --commands)" -- "$cur"))
        fi
        return 0
    fi
    if [[ $cmd == help ]]; then
        COMPREPLY=($(compgen -W "$(_beforeafter_words "$prog" help --commands)" -- "$cur"))
        return 0
    fi
    local help usage subs sub=""
    help=$(_beforeafter_words "$prog" "$cmd" --help)
    usage=$(printf '%s\n' "$help" | sed -n 's/^ *[^ ]* [^ ]* \[OPTION[^]]*\] *//p' | head -n 1)
    subs=$(printf '%s\n' "$usage" | tr '|' '\n' | awk '$1 ~ /^[a-z][a-z-]*$/ {print $1}')
    # A subcommand typed already ("photo set --st"): its own options.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -n $subs && $w != -* && $w != "$cmd" ]] && printf '%s\n' "$subs" | grep -qx -- "$w"; then
            sub=$w
            break
        fi
    done
    if [[ -n $sub ]]; then
        help=$(_beforeafter_words "$prog" "$cmd" "$sub" --help)
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur"))
        return 0
    fi
    # A subcommand right after the command: the usage line's alternatives.
    local nonopt=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -* ]] || ((nonopt++))
    done
    if ((nonopt == 1)); then
        if [[ -n $subs ]]; then
            COMPREPLY=($(compgen -W "$subs" -- "$cur"))
            return 0
        fi
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
}

complete -o filenames -F _beforeafter beforeafter
