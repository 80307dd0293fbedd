package main

import (
	"fmt"
	"os"

	"patchcheck/catalog"
	"patchcheck/check"
	"patchcheck/render"
)

func main() {
	for _, name := range os.Args[2:] {
		e, _, _ := catalog.Lookup(name, check.ParseOptions())
		r, err := check.Run(e.Scenario, check.Options{})
		if err != nil || r.Cex == nil {
			fmt.Println(name, err)
			continue
		}
		os.WriteFile(os.Args[1]+"/"+name+".svg", render.SVG(r.Cex), 0o644)
		os.WriteFile(os.Args[1]+"/"+name+".txt", []byte(render.Explain(r.Cex)), 0o644)
	}
}
