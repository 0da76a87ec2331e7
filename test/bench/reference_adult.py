"""Reference scores on adult for test/bench/trainAdult.ts: XGBoost (hist, 200
trees, depth 6, learning rate 0.1), scikit-learn's LogisticRegression (one-hot
+ standardised numbers), HistGradientBoostingClassifier (native categories)
and RandomForestClassifier (one-hot, imputed: scikit-learn 1.2's forests take
no missing values; its defaults, and Kiln's forest defaults), trained on
adult.csv and scored on adult.test.csv. Prints one JSON object per model.
Needs Debian's python3-xgboost and python3-sklearn. A second argument
"forest" runs only the forests.

    python3 test/bench/reference_adult.py resources/samples [forest]
"""
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
TARGET = "Y"


def read(path):
    with open(path, newline="") as handle:
        rows = [[cell.strip() for cell in row] for row in csv.reader(handle) if row]
    header, body = rows[0], rows[1:]
    columns = {name: [row[i] for row in body] for i, name in enumerate(header)}
    y = np.array([1 if value.rstrip(".") == ">50K" else 0 for value in columns[TARGET]])
    return columns, y


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "resources/samples")
    train, y_train = read(folder / "adult.csv")
    test, y_test = read(folder / "adult.test.csv")
    categorical = [name for name in train if name not in NUMERIC and name != TARGET]

    def numbers(columns):
        return np.array([[float(v) if v not in ("?", "") else np.nan for v in columns[name]] for name in NUMERIC]).T

    # Category codes from the training file only; "?" and unseen levels are missing.
    levels = {name: sorted({v for v in train[name] if v != "?"}) for name in categorical}

    def codes(columns):
        out = np.full((len(columns[categorical[0]]), len(categorical)), np.nan)
        for j, name in enumerate(categorical):
            index = {level: i for i, level in enumerate(levels[name])}
            out[:, j] = [index.get(v, np.nan) for v in columns[name]]
        return out

    x_train = np.hstack([numbers(train), codes(train)])
    x_test = np.hstack([numbers(test), codes(test)])
    is_categorical = [False] * len(NUMERIC) + [True] * len(categorical)

    from sklearn.metrics import accuracy_score, roc_auc_score

    def report(name, fit, predict):
        started = time.perf_counter()
        model = fit()
        fit_ms = (time.perf_counter() - started) * 1000
        p = predict(model)
        print(json.dumps({
            "model": name,
            "accuracy": float(accuracy_score(y_test, p >= 0.5)),
            "auc": float(roc_auc_score(y_test, p)),
            "fitMs": fit_ms,
        }), flush=True)

    only_forest = len(sys.argv) > 2 and sys.argv[2] == "forest"

    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    import sklearn

    numeric_index = list(range(len(NUMERIC)))
    categorical_index = list(range(len(NUMERIC), len(is_categorical)))

    def one_hot(scale):
        numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()) if scale else SimpleImputer(strategy="median")
        return ColumnTransformer([
            ("numbers", numbers, numeric_index),
            ("categories", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), categorical_index),
        ])

    def forest(**settings):
        return lambda: make_pipeline(one_hot(False), RandomForestClassifier(random_state=0, n_jobs=-1, **settings)).fit(x_train, y_train)

    report(f"scikit-learn {sklearn.__version__} RandomForest (defaults: 100 trees, no depth limit, 1 row per leaf)", forest(), lambda model: model.predict_proba(x_test)[:, 1])
    report(
        f"scikit-learn {sklearn.__version__} RandomForest (Kiln's defaults: 100 trees, depth 16, 3 rows per leaf)",
        forest(n_estimators=100, max_depth=16, min_samples_leaf=3),
        lambda model: model.predict_proba(x_test)[:, 1],
    )
    if only_forest:
        return

    import xgboost as xgb

    def fit_xgb():
        dtrain = xgb.DMatrix(x_train, label=y_train, feature_types=["c" if c else "q" for c in is_categorical], enable_categorical=True)
        params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": 0}
        return xgb.train(params, dtrain, num_boost_round=200)

    def predict_xgb(model):
        dtest = xgb.DMatrix(x_test, feature_types=["c" if c else "q" for c in is_categorical], enable_categorical=True)
        return model.predict(dtest)

    report(f"XGBoost {xgb.__version__} (hist, 200 trees, depth 6, lr 0.1)", fit_xgb, predict_xgb)

    def fit_logistic():
        return make_pipeline(one_hot(True), LogisticRegression(max_iter=1000)).fit(x_train, y_train)

    report(f"scikit-learn {sklearn.__version__} LogisticRegression", fit_logistic, lambda model: model.predict_proba(x_test)[:, 1])

    def fit_hgb():
        return HistGradientBoostingClassifier(categorical_features=is_categorical, random_state=0).fit(x_train, y_train)

    report(f"scikit-learn {sklearn.__version__} HistGradientBoosting", fit_hgb, lambda model: model.predict_proba(x_test)[:, 1])


if __name__ == "__main__":
    main()
