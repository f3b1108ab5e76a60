from absl import app

from train.main import main, parse_flags

app.run(main, flags_parser=parse_flags)
