package kernel

import (
	"reflect"

	"github.com/patchcheck/patchcheck/model"
	"github.com/patchcheck/patchcheck/scenario"
)

// BuildParsingAgain is Build with the model files parsed again after the
// layout, never taken over from it.
func BuildParsingAgain(sc *scenario.Scenario, port Port) (*model.Program, error) {
	return build(sc, port, false)
}

// TakesOver reports whether Build would compile ts's parsed files for
// sc (layoutSource), rather than parse sc's again.
func TakesOver(sc *scenario.Scenario, port Port, ts *TrampSource) (bool, error) {
	d, err := layoutSource(sc, port, &Layout{Source: ts})
	if err != nil {
		return false, err
	}
	return reflect.ValueOf(d.funcs).Pointer() == reflect.ValueOf(ts.d.funcs).Pointer(), nil
}
