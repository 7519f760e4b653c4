#!/usr/bin/env bash
# Mutation testing of the rules that decide certification (README.md, "Mutation testing").
# Not part of CI: on two cores it takes an hour or more. Run it before resolving an issue that
# changes a rule, and keep every listed file at 95% or more.
#
#   scripts/mutation.sh                 # every rule file below
#   scripts/mutation.sh internal/oral   # only the entries whose package matches
#   MUTATION_GREMLINS=0 scripts/mutation.sh ...   # only the extra mutants (scripts/mutate)
#
# For each entry: gremlins (pinned, from the Go module proxy) makes its mutants (arithmetic,
# comparison boundaries and negations, ++/--, negatives, && <-> ||, break <-> continue), then
# scripts/mutate makes the ones gremlins does not (integer n -> n+1, negated conditions, case
# conditions, return err -> return nil) and prints one SCORE line per file: killed / (killed + lived)
# over the mutants on lines the selected tests cover. Each mutant's test run is limited to the
# package and to the tests named in the entry (-run), with -failfast and a timeout, so that a run
# stays affordable on a shared machine; tests that need PostgreSQL use PEERACADEMY_TEST_POSTGRES_URL
# when it is set (and skip that half otherwise, as in the ordinary suite).
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_VERSION=v0.6.0
TIMEOUT=${MUTATION_TIMEOUT:-3m}
OUT=${MUTATION_OUT:-.cache/mutation}

# package ; the tests that exercise the rule (go test -run; all of internal/ce's are rule tests; contentcheck's
# leave out the three that load the whole shipped content, 6 s each) ; rule files
ENTRIES=(
	"./internal/eligibility;^Test(Evaluate|EvaluateEdges|WorkDaysEdges|AgeMessageSaysWhen|DescribeDays|AdultOn)$;internal/eligibility/rule.go"
	"./internal/exam;^Test(DomainCounts|AssembleForm.*|Passes|Grade.*|AnalyzeItems.*|Correct.*|FormHelpers)$;internal/exam/grade.go internal/exam/form.go"
	"./internal/oral;^Test(Rubric.*|LoadRubric.*|Passes|RealRubric)$;internal/oral/rubric.go"
	"./internal/ce;^Test;internal/ce/rule.go"
	"./internal/cohort;^Test(CompletionRule|AttendanceRuleNumbers)$;internal/cohort/model.go"
	"./internal/cohort;^Test(CohortRules|AttendanceRegisterAndMakeups|CourseworkCountsTheActiveCohortOnly|CourseworkOfOneNoneAndTwoEnrolments)$;internal/cohort/attendance.go"
	"./internal/catalog;^TestRule;internal/catalog/rule.go"
	"./internal/contentcheck;^Test(CueLimitsAtTheirExactValue|MetadataEdges|OneDomainBankJudgedOnce|ModalKeyCount|SimulateGoldenWithCues|SpreadLimitOfOnePoint|BankSharesAtTheirLimits|ModuleCountLimits|NearDuplicateAtItsLimit|DuplicatesAfterAnItemWithoutConcept|KeyCountLimitAtItsExactValue|DomainLongestKeyLimit|KeyExtremeEdges|CheckQTrueFalse|SimulateGolden|RunSortsProblems|Quality.*|SimulateDeterministic|HasAbsolute|AbsolutesBalanced|Negative|AllOrNoneOfTheAbove|JaccardOfStems|Fold|ContentWords)$;internal/contentcheck/items.go internal/contentcheck/questions.go internal/contentcheck/words.go internal/contentcheck/testwise.go"
)

if [ "${MUTATION_GREMLINS:-1}" != 0 ]; then
	GREMLINS=$(go env GOPATH)/bin/gremlins
	if ! "$GREMLINS" --version 2>/dev/null | grep -q "${GREMLINS_VERSION#v}"; then
		go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
	fi
fi
mkdir -p "$OUT"
go build -o "$OUT/mutate" ./scripts/mutate

for entry in "${ENTRIES[@]}"; do
	IFS=';' read -r pkg run files <<<"$entry"
	if [ $# -gt 0 ] && [[ "$pkg" != *"$1"* ]]; then
		continue
	fi
	name=$(basename "$pkg")-$(basename "${files%% *}" .go)
	gjson=()
	if [ "${MUTATION_GREMLINS:-1}" != 0 ]; then
		# gremlins mutates every file of the package: leave out all but the rule files.
		excl=(-E '_test\.go$')
		for f in "$pkg"/*.go; do
			case " $files " in *" ${f#./} "*) ;; *) excl+=(-E "$(basename "$f")\$") ;; esac
		done
		echo "== gremlins $pkg ($files)"
		GOFLAGS="-run=$run -vet=off" "$GREMLINS" unleash --workers 1 --invert-loopctrl --invert-logical \
			"${excl[@]}" -o "$OUT/gremlins-$name.json" -S lt "$pkg"
		gjson=(-gremlins "$OUT/gremlins-$name.json")
	fi
	echo "== extra mutants $pkg ($files)"
	# shellcheck disable=SC2086 # files is a space-separated list
	"$OUT/mutate" -pkg "$pkg" -run "$run" -timeout "$TIMEOUT" "${gjson[@]}" $files | tee "$OUT/mutate-$name.txt"
done
echo "== scores"
cat "$OUT"/mutate-*.txt | grep '^SCORE'
