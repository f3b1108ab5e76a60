from analysis.main import run

run()
