"""The Jinja2 templates of the HTML reports (package data): ``base.html`` and one page per report."""
