fn main() {
    let p = std::env::args().nth(1).unwrap();
    let s = layerlab_engine::Scenario::from_json(&std::fs::read_to_string(p).unwrap()).unwrap();
    let r = layerlab_engine::simulate(&s);
    for (name, b) in [
        ("classic", &r.builders.classic),
        ("buildkit", &r.builders.buildkit),
    ] {
        println!("== {name}: {}", b.summary);
        for st in &b.steps {
            println!(
                "  {:>3} {:<10} {:<9}",
                st.line,
                st.keyword,
                st.status.as_str()
            );
            for r in &st.reasons {
                println!("        - [{}] {} {:?}", r.code, r.message, r.line);
            }
        }
        for e in &b.errors {
            println!("  ERROR {}", e.message);
        }
    }
    for d in &r.diagnostics {
        println!("diag {}:{} {}", d.span.line, d.span.col, d.message);
    }
}
