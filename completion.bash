# Tab completion of launch.py's Hydra overrides, for the README's invocation `.venv/bin/python launch.py ...`:
#   source completion.bash
#   .venv/bin/python launch.py al<TAB>   ->  algo=
#   .venv/bin/python launch.py algo=<TAB> ->  algo=bc  algo=bcq  algo=cql  ...
# Hydra's own script (`launch.py --shell-completion install=bash`) only completes a command spelled `python`: its
# parser does not recognise an interpreter path such as .venv/bin/python. This function asks Hydra the same query
# (`launch.py -sc query=bash`) with the interpreter path rewritten to `python`.
_imagine_bench_launch_complete() {
    local words=($COMP_LINE)
    if (( ${#words[@]} < 2 )) || [[ "${words[1]}" != *launch.py ]]; then
        return
    fi
    local rest="${COMP_LINE#"${words[0]}"}"
    local line="python${rest}"
    local point=$(( COMP_POINT - ${#COMP_LINE} + ${#line} ))
    local choices
    choices=$(COMP_LINE="$line" COMP_POINT=$point "${words[0]}" "${words[1]}" -sc query=bash 2>/dev/null)
    local word=""
    [[ "$COMP_LINE" != *" " ]] && word="${words[-1]}"
    COMPREPLY=($(compgen -o nospace -o default -W "$choices" -- "$word"))
}
COMP_WORDBREAKS=${COMP_WORDBREAKS//=}
complete -o nospace -o default -F _imagine_bench_launch_complete .venv/bin/python python python3
