"""The six-monthly report to the commune People's Committee (plan section V.4):
figures, charts, a Word document in the Decree 30 layout and a spreadsheet."""
