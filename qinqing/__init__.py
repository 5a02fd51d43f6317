"""亲清 Qinqing — a district government's business-environment platform."""
