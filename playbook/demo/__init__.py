"""The demo client's generators: its sales and customers (sales) and its survey (survey)."""
