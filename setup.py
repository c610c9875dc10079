"""The one optional C kernel (adcli/core/_kernels.c); everything else about the package is in pyproject.toml.

Why here: setuptools takes an extension only from setup.py. optional=True: where no C compiler is, the
kernel's build fails quietly and adcli uses its numpy passes instead (adcli/core/kernels.py), the same
numbers to within their ulps. -fno-trapping-math lets the compiler vectorise the kernel's selects."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "adcli.core._kernels",
            ["adcli/core/_kernels.c"],
            optional=True,
            extra_compile_args=["-O3", "-fno-trapping-math"],
        )
    ]
)
